package dev.starling.strategy;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.message.ClientReply;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.List;
import java.util.Optional;

/**
 * The whole federated algorithm, seen from the server, in a handful of calls (in the spirit of Flower's
 * Strategy). A strategy never runs the round loop or picks clients; the round loop calls it in this order:
 * <ol>
 *   <li>{@link #prepare} once (may refuse the plan), then {@link #initialize} once;</li>
 *   <li>per round r = 1, 2, ...: {@link #configureTrain} per selected client, {@link #beginAggregation}
 *       and the returned {@link Aggregation}, then optionally {@link #aggregateEvaluate} for federated
 *       evaluation and {@link #evaluate} for server-side evaluation of the new global model.</li>
 * </ol>
 * Strategies are composed with decorators that extend {@link ForwardingStrategy}. Implementations are
 * called from one thread at a time.
 */
public interface Strategy {
  /**
   * Checks the run's shape before round 1. Throws {@link IllegalArgumentException} saying what to
   * change if the strategy cannot work (or cannot defend its guarantees) with it. Default: accepts.
   */
  default void prepare(RoundPlan plan) {}

  /**
   * Client-side processing this strategy needs around every client's local training (first =
   * outermost), e.g. SCAFFOLD's control-variate bookkeeping. Default: none.
   */
  default List<TrainInterceptor> clientInterceptors() {
    return List.of();
  }

  /** Returns the round-1 global model, given the model's initial parameters. Default: unchanged. */
  default ParameterSet initialize(ParameterSet initial) {
    return initial;
  }

  /**
   * Training instructions for one selected client. {@code base} holds the run's defaults with the round
   * and a per-client seed already set. Default: {@code base}.
   */
  default TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
    return base;
  }

  /** Opens the aggregation of round {@code round}, whose clients started from {@code global}. */
  Aggregation beginAggregation(int round, ParameterSet global);

  /**
   * Combines federated evaluation replies. Default: the example-weighted mean of every metric the
   * replies share, failures ignored (they are recorded by the round loop).
   */
  default Metrics aggregateEvaluate(int round, List<ClientReply<EvalResult>> replies, List<ClientFailure> failures) {
    return WeightedMetrics.mean(replies.stream().map(r -> r.result().metrics()).toList(),
        replies.stream().mapToDouble(r -> r.result().numExamples()).toArray());
  }

  /** Server-side evaluation of the global model after round {@code round}; default none. */
  default Optional<Metrics> evaluate(int round, ParameterSet global) {
    return Optional.empty();
  }

  /**
   * The server-side state this strategy carries from round to round (optimiser moments, control
   * variates), as a snapshot a checkpoint can store; tensor names are the strategy's own. Called between
   * rounds. Default: stateless, an empty set.
   */
  default ParameterSet saveState() {
    return ParameterSet.of();
  }

  /**
   * Restores a {@link #saveState()} snapshot after {@link #initialize}, when a run resumes from a
   * checkpoint. Default: accepts only the empty set.
   */
  default void restoreState(ParameterSet state) {
    if (state.count() != 0) {
      throw new IllegalArgumentException(describe() + " keeps no state, but the checkpoint has " + state.names());
    }
  }

  /**
   * What this strategy needs to see of the updates. Default: {@link AggregationInput#INDIVIDUAL_UPDATES},
   * the safe answer for a custom rule (secure aggregation and central DP then refuse it rather than hand it
   * a sum); a rule that folds updates into a sum declares {@link AggregationInput#SUM_ONLY}.
   */
  default AggregationInput requiredInput() {
    return AggregationInput.INDIVIDUAL_UPDATES;
  }

  /** A one-line description, e.g. {@code FedProx(mu=0.01) <- FedAvg(weighting=examples)}. Default: the class name. */
  default String describe() {
    return getClass().getSimpleName();
  }
}
