package dev.starling.testkit;

import dev.starling.strategy.FedNova;
import dev.starling.strategy.Strategy;

/**
 * The strategy contract for FedNova; it lives here because starling-strategy cannot depend on the testkit.
 * Identical updates with equal local steps normalise to themselves, so the averaging check applies.
 */
class FedNovaContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new FedNova();
  }
}
