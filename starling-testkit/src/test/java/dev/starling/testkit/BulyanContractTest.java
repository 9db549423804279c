package dev.starling.testkit;

import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.Bulyan;

/** The strategy contract for Bulyan with f = 1 (4f+3 = 7: the contract's 7 identical updates are just enough). */
class BulyanContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new Bulyan(1);
  }
}
