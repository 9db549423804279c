package dev.starling.testkit;

import dev.starling.strategy.FedAvg;
import dev.starling.strategy.FedProx;
import dev.starling.strategy.Strategy;

/** The strategy contract for FedProx; it lives here because starling-strategy cannot depend on the testkit. */
class FedProxContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new FedProx(0.1);
  }
}
