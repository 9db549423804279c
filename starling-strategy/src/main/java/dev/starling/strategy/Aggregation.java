package dev.starling.strategy;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import java.util.List;
import java.util.function.UnaryOperator;

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

  /**
   * This aggregation with {@code after} applied to its result: for decorators that fold exactly as their
   * delegate does and only post-process the outcome (pruning, privacy accounting).
   */
  default Aggregation andThen(UnaryOperator<AggregateResult> after) {
    Aggregation self = this;
    return new Aggregation() {
      @Override
      public void accept(ClientId client, TrainResult result) {
        self.accept(client, result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        return after.apply(self.finish(failures));
      }
    };
  }
}
