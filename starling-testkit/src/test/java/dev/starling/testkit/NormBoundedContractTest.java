package dev.starling.testkit;

import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.NormBoundedStrategy;

/**
 * The strategy contract for norm bounding around FedAvg. The bound (1000) is far above the distance
 * of the contract's updates from the global model, so identical updates pass unclipped and must come
 * back unchanged; clipping itself is tested in NormBoundedStrategyTest.
 */
class NormBoundedContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new NormBoundedStrategy(new FedAvg(), 1000);
  }
}
