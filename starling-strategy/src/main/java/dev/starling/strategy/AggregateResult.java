package dev.starling.strategy;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.Objects;

/**
 * The outcome of aggregating one round.
 *
 * @param parameters the new global model
 * @param metrics aggregated training metrics, e.g. {@code train_loss}
 */
public record AggregateResult(ParameterSet parameters, Metrics metrics) {
  public AggregateResult {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(metrics, "metrics");
  }
}
