package dev.starling.testkit;

import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.CoordinateMedian;

/** The strategy contract for the coordinate-wise median; it lives here because starling-strategy cannot depend on the testkit. */
class MedianContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new CoordinateMedian();
  }
}
