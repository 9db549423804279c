package dev.starling.testkit;

import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.TrimmedMean;

/** The strategy contract for the trimmed mean (beta = 0.2, so the contract's 7 identical updates trim 1 per side). */
class TrimmedMeanContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new TrimmedMean(0.2);
  }
}
