package dev.starling.strategy.robust;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.aggregate.LossTally;
import dev.starling.strategy.kernel.Rows;
import java.util.ArrayList;
import java.util.List;

/**
 * The aggregation of one round for a robust rule: keeps a reference to every accepted update's tensor
 * arrays (not a copy: by the {@code Tensor} convention they are not mutated once handed over), then at
 * {@link #finish} either refuses (too few updates) or hands the round to the rule, which reads them as
 * {@link Rows}. Not thread-safe; one instance per round.
 */
final class RobustAggregation implements Aggregation {
  /** A robust rule applied to the updates of a round that has enough of them. */
  @FunctionalInterface
  interface Rule {
    AggregateResult apply(RobustAggregation round);
  }

  private final ParameterSet global;
  private final int needed;
  private final Rule rule;
  private final List<ClientId> clients = new ArrayList<>();
  private final List<float[][]> updates = new ArrayList<>();
  private final List<TrainResult> results = new ArrayList<>();
  private boolean finished;

  /** A round starting from {@code global} that needs at least {@code needed} updates to aggregate. */
  RobustAggregation(ParameterSet global, int needed, Rule rule) {
    this.global = global;
    this.needed = needed;
    this.rule = rule;
  }

  @Override
  public void accept(ClientId client, TrainResult result) {
    if (finished) {
      throw new IllegalStateException("accept() after finish(): an Aggregation serves one round");
    }
    clients.add(client);
    List<Tensor> ts = result.parameters().tensors();
    float[][] parts = new float[ts.size()][];
    for (int t = 0; t < parts.length; t++) {
      parts[t] = ts.get(t).data();
    }
    updates.add(parts);
    results.add(result);
  }

  @Override
  public AggregateResult finish(List<ClientFailure> failures) {
    if (finished) {
      throw new IllegalStateException("finish() called twice: an Aggregation serves one round");
    }
    finished = true;
    if (updates.size() < needed) {
      Metrics m = lossMetrics(null).put("aggregation_refused", 1).put("clients_aggregated", 0)
          .put("clients_received", updates.size()).put("clients_needed", needed).build();
      return new AggregateResult(global, m);
    }
    return rule.apply(this);
  }

  /** Number of updates received. */
  int size() {
    return updates.size();
  }

  /** The updates, one row per client in arrival order, read in place. */
  Rows rows() {
    return Rows.ofParts(updates);
  }

  /** The updates, one flattened row per client in arrival order; rows are new copies. */
  float[][] updates() {
    float[][] out = new float[updates.size()][];
    Rows rows = rows();
    for (int i = 0; i < out.length; i++) {
      out[i] = rows.flat(i);
    }
    return out;
  }

  /** The global model the clients started from, flattened (a new array). */
  float[] global() {
    return global.flatten();
  }

  ClientId client(int i) {
    return clients.get(i);
  }

  /** {@code flat} reshaped like the global model, copied into new tensors. */
  ParameterSet toParameters(float[] flat) {
    List<Tensor> out = new ArrayList<>(global.count());
    int off = 0;
    for (Tensor t : global) {
      float[] d = new float[t.size()];
      System.arraycopy(flat, off, d, 0, d.length);
      off += d.length;
      out.add(Tensor.of(t.name(), d, t.shape()));
    }
    return ParameterSet.of(out);
  }

  /**
   * Metrics common to all rules: {@code clients_aggregated} = updates the rule ran over, and the
   * example-weighted {@code train_loss} and {@code examples} of the clients with {@code kept[i]} true
   * ({@code kept} null: all of them).
   */
  Metrics.Builder metrics(boolean[] kept) {
    return lossMetrics(kept).put("clients_aggregated", updates.size());
  }

  /** {@link #metrics(boolean[])} over every client (the coordinate-wise rules keep part of each). */
  Metrics.Builder metricsOfAll() {
    return metrics(null);
  }

  private Metrics.Builder lossMetrics(boolean[] kept) {
    LossTally trainLoss = new LossTally();
    long examples = 0;
    for (int i = 0; i < results.size(); i++) {
      if (kept != null && !kept[i]) {
        continue;
      }
      TrainResult r = results.get(i);
      examples += r.numExamples();
      trainLoss.add(r);
    }
    return trainLoss.putInto(Metrics.builder()).put("examples", examples);
  }
}
