package dev.starling.testkit;

import dev.starling.strategy.FedAvgM;
import dev.starling.strategy.Strategy;

/**
 * The strategy contract for FedAvgM; it lives here because starling-strategy cannot depend on the testkit.
 * With eta = 1 and v_0 = 0 its first step lands exactly on the consensus, so the averaging check applies.
 */
class FedAvgMContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new FedAvgM();
  }
}
