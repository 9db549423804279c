package dev.starling.testkit;

import dev.starling.strategy.FedAdam;
import dev.starling.strategy.Strategy;

/** The strategy contract for FedAdam; it lives here because starling-strategy cannot depend on the testkit. */
class FedAdamContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new FedAdam();
  }

  /** The first step moves by about eta per coordinate (server Adam steps eta * m / (sqrt(v) + tau), not to the consensus). */
  @Override
  protected boolean averagesIdenticalUpdatesToThemselves() {
    return false;
  }
}
