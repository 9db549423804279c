package dev.starling.strategy;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.aggregate.LossTally;
import java.util.ArrayList;
import java.util.List;

/**
 * The public helper for aggregation rules that need every update (declare
 * {@link AggregationInput#INDIVIDUAL_UPDATES}): it keeps each accepted client's parameters as one flat
 * float32 vector and, at the end of the round, hands them all to a rule. With no update accepted the
 * global model is kept. Metrics: {@code train_loss} (example-weighted) and {@code clients_aggregated}.
 * Memory: one model-sized vector per client, by design.
 */
public final class EveryUpdate {
  private EveryUpdate() {}

  /** A rule over every client's value of one coordinate (e.g. a median); {@code values} may be reordered. */
  @FunctionalInterface
  public interface CoordinateRule {
    float combine(float[] values);
  }

  /** A rule over whole updates: the global model and every client's parameters, flattened, in arrival order. */
  @FunctionalInterface
  public interface UpdateRule {
    float[] combine(float[] global, List<float[]> updates);
  }

  /** An aggregation that applies {@code rule} coordinate by coordinate over every accepted update. */
  public static Aggregation coordinatewise(ParameterSet global, CoordinateRule rule) {
    return collect(global, (g, updates) -> {
      float[] out = new float[g.length];
      float[] column = new float[updates.size()];
      for (int j = 0; j < g.length; j++) {
        for (int i = 0; i < column.length; i++) {
          column[i] = updates.get(i)[j];
        }
        out[j] = rule.combine(column);
      }
      return out;
    });
  }

  /** An aggregation that collects every accepted update and applies {@code rule} when the round ends. */
  public static Aggregation collect(ParameterSet global, UpdateRule rule) {
    return new Aggregation() {
      private final List<float[]> updates = new ArrayList<>();
      private final LossTally loss = new LossTally();

      @Override
      public void accept(ClientId client, TrainResult result) {
        updates.add(result.parameters().flatten());
        loss.add(result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        Metrics.Builder m = loss.putInto(Metrics.builder()).put("clients_aggregated", updates.size());
        if (updates.isEmpty()) {
          return new AggregateResult(global, m.build());
        }
        float[] g = global.flatten();
        float[] next = rule.combine(g, List.copyOf(updates));
        if (next.length != g.length) {
          throw new IllegalStateException("aggregation rule returned " + next.length + " values for a model of " + g.length);
        }
        return new AggregateResult(global.unflatten(next), m.build());
      }
    };
  }
}
