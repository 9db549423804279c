package dev.starling.testkit;

import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.MultiKrum;

/** The strategy contract for Multi-Krum with f = 2 and m = n - f. */
class MultiKrumContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new MultiKrum(2);
  }
}
