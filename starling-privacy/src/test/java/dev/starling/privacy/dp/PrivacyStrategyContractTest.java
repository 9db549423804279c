package dev.starling.privacy.dp;

import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.random.RandomSource;
import dev.starling.privacy.accounting.RdpAccountant;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategy;
import dev.starling.testkit.StrategyContractTest;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Nested;

/** The strategy contract for the DP decorators. */
class PrivacyStrategyContractTest {
  /**
   * Central DP with a vanishing noise multiplier (1e-12, so float results equal the noiseless ones unless
   * a coordinate is below 1e-4) and a clip (100) far above the contract's updates. It does not average
   * identical updates to themselves: the mean divides by the planned clients per round (10), not by the 7
   * that reported. (With no updates it still adds noise, as DP requires; here the noise is invisible.)
   */
  @Nested
  class CentralDp extends StrategyContractTest {
    @Override
    protected Strategy newStrategy() {
      return new CentralDpStrategy(new FedAvg(), CentralDpConfig.fixed(100, 1e-12), RandomSource.seeded(1));
    }

    @Override
    protected boolean averagesIdenticalUpdatesToThemselves() {
      return false;
    }
  }

  /** Local DP: the server side is the delegate's aggregation. */
  @Nested
  class LocalDp extends StrategyContractTest {
    @Override
    protected Strategy newStrategy() {
      return new LocalDpStrategy(new FedAvg(), LocalDpConfig.of(1.0, 1.0));
    }
  }

  /** DP-SGD accounting: the server side is the delegate's aggregation. */
  @Nested
  class DpSgd extends StrategyContractTest {
    @Override
    protected Strategy newStrategy() {
      return new DpSgdStrategy(new FedAvg(), new DpSgdSettings(1.0, 1.0, false), new RdpAccountant(), 1e-5,
          OptionalDouble.empty());
    }
  }
}
