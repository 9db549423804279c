package dev.starling.strategy;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.List;
import java.util.Objects;

/**
 * The outcome of aggregating one round.
 *
 * @param parameters the new global model
 * @param metrics aggregated training metrics, e.g. {@code train_loss}
 * @param verdicts clients whose update a robust rule rejected, down-weighted or clipped (empty otherwise)
 */
public record AggregateResult(ParameterSet parameters, Metrics metrics, List<ClientVerdict> verdicts) {
  public AggregateResult {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(metrics, "metrics");
    verdicts = List.copyOf(verdicts);
  }

  /** A result without verdicts. */
  public AggregateResult(ParameterSet parameters, Metrics metrics) {
    this(parameters, metrics, List.of());
  }
}
