package dev.starling.core.learner;

import dev.starling.core.message.AttachmentKey;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * The client half of event-triggered synchronisation ({@code sync = event:THRESHOLD}): a client uploads only
 * when its accumulated change since its last upload exceeds {@code threshold} relative to the model's norm,
 * else it reports a skip.
 *
 * <p>The client keeps, in its {@link ClientState}, the sum r of its local changes {@code trained - global} since
 * its last upload. After each job r grows by this job's change; if {@code ||r|| / ||global|| >= threshold}
 * ({@code ||r||} when the model is all zeros) it uploads {@code global + r}, so changes it held back are not
 * lost, and r starts again at zero; otherwise it keeps r and returns {@link #skip}, an empty result with
 * {@link #SKIPPED} = 1 that the server counts and does not aggregate. So many small steps in one direction
 * trigger an upload, where a test of each job's change alone would hold them back for ever.
 *
 * <p>Install it outermost (first in the chain): it sees the result as it would leave the client.
 */
public final class EventTrigger implements TrainInterceptor {
  /** The metric a skip carries (1). */
  public static final String SKIPPED = "event_skipped";
  /** Where the client keeps its change since its last upload. */
  public static final AttachmentKey RESIDUAL = new AttachmentKey("event.residual");

  private final double threshold;

  public EventTrigger(double threshold) {
    if (!(threshold >= 0) || !Double.isFinite(threshold)) {
      throw new IllegalArgumentException("event threshold must be >= 0. Provided value: " + threshold);
    }
    this.threshold = threshold;
  }

  public double threshold() {
    return threshold;
  }

  /** Whether {@code r} is a client's skip report rather than an update. */
  public static boolean skipped(TrainResult r) {
    return r.metrics().getOrNaN(SKIPPED) == 1;
  }

  /** A skip report: no parameters, the job's loss, {@link #SKIPPED} = 1. */
  public static TrainResult skip(TrainResult trained) {
    Metrics.Builder m = Metrics.builder().put(SKIPPED, 1);
    trained.metrics().get(Metrics.LOSS).ifPresent(l -> m.put(Metrics.LOSS, l));
    return new TrainResult(ParameterSet.of(List.of()), 0, trained.localSteps(), m.build());
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config, ClientState state, Trainer next) {
    TrainResult r = next.fit(global, config);
    ParameterSet held = state.get(RESIDUAL).orElse(null);
    List<Tensor> acc = new ArrayList<>(global.count());
    double change = 0;
    double norm = 0;
    for (Tensor g : global) {
      float[] x = g.data();
      float[] n = r.parameters().get(g.name()).data();
      float[] h = held == null || !held.names().contains(g.name()) ? null : held.get(g.name()).data();
      float[] a = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        a[i] = (n[i] - x[i]) + (h == null || h.length != x.length ? 0f : h[i]);
        change += (double) a[i] * a[i];
        norm += (double) x[i] * x[i];
      }
      acc.add(Tensor.of(g.name(), a, g.shape()));
    }
    double relative = norm == 0 ? Math.sqrt(change) : Math.sqrt(change / norm);
    if (relative < threshold) {
      state.put(RESIDUAL, ParameterSet.of(acc));
      return skip(r);
    }
    state.put(RESIDUAL, ParameterSet.of(List.of()));
    if (held == null || held.count() == 0) {
      return r; // nothing held back: the update as trained
    }
    ParameterSet accumulated = ParameterSet.of(acc);
    List<Tensor> up = new ArrayList<>(global.count());
    for (Tensor g : global) {
      float[] x = g.data();
      float[] a = accumulated.get(g.name()).data();
      float[] o = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        o[i] = x[i] + a[i];
      }
      up.add(Tensor.of(g.name(), o, g.shape()));
    }
    return r.withParameters(ParameterSet.of(up));
  }

  @Override
  public String toString() {
    return "EventTrigger(" + threshold + ")";
  }
}
