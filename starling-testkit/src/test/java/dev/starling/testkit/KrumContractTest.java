package dev.starling.testkit;

import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.Krum;

/** The strategy contract for Krum with f = 2 (2f+3 = 7: the contract's 7 identical updates are just enough). */
class KrumContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new Krum(2);
  }
}
