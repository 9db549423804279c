package dev.starling.testkit;

import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategy;

/** The strategy contract for Average; it lives here because starling-strategy cannot depend on the testkit. */
class AverageContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return FedAvg.plainAverage();
  }
}
