package dev.starling.strategy;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import java.util.List;

/**
 * The aggregation of one round, fed one update at a time so a server can fold each update as it
 * arrives and hold O(model size) memory (strategies that need every update keep them themselves and say
 * so with {@link AggregationInput#INDIVIDUAL_UPDATES}).
 *
 * <p>Order of use: {@link #accept} zero or more times, then {@link #finish} exactly once. Not
 * thread-safe: the caller serialises calls.
 */
public interface Aggregation {
  /**
   * Folds one client's validated training result. The caller has already checked the update's shape
   * and finiteness with {@link UpdateValidator}.
   */
  void accept(ClientId client, TrainResult result);

  /**
   * Completes the round. {@code failures} lists the clients that were selected but delivered nothing
   * usable. If no update was accepted the strategy returns the global model unchanged.
   */
  AggregateResult finish(List<ClientFailure> failures);
}
