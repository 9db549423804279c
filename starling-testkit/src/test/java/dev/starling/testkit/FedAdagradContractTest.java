package dev.starling.testkit;

import dev.starling.strategy.FedAdagrad;
import dev.starling.strategy.Strategy;

/** The strategy contract for FedAdagrad; it lives here because starling-strategy cannot depend on the testkit. */
class FedAdagradContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new FedAdagrad();
  }

  /** The first step moves by about eta per coordinate (server Adagrad steps eta * m / (sqrt(v) + tau), not to the consensus). */
  @Override
  protected boolean averagesIdenticalUpdatesToThemselves() {
    return false;
  }
}
