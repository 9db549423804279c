package dev.starling.testkit;

import dev.starling.strategy.FedYogi;
import dev.starling.strategy.Strategy;

/** The strategy contract for FedYogi; it lives here because starling-strategy cannot depend on the testkit. */
class FedYogiContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new FedYogi();
  }

  /** The first step moves by about eta per coordinate (server Yogi steps eta * m / (sqrt(v) + tau), not to the consensus). */
  @Override
  protected boolean averagesIdenticalUpdatesToThemselves() {
    return false;
  }
}
