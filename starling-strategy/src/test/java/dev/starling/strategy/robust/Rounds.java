package dev.starling.strategy.robust;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.Strategy;
import java.util.List;

/** Small helpers for the robust-rule tests: parameter sets from plain vectors and one-call rounds. */
final class Rounds {
  private Rounds() {}

  /**
   * {@code values} as a two-tensor set ("w" holds all but the last value, "b" the last), so every test
   * also checks that rules reshape their flat result correctly; a single value is one tensor "w".
   */
  static ParameterSet params(float... values) {
    if (values.length == 1) {
      return ParameterSet.of(Tensor.of("w", values.clone(), 1));
    }
    float[] w = java.util.Arrays.copyOf(values, values.length - 1);
    return ParameterSet.of(Tensor.of("w", w, w.length), Tensor.of("b", new float[] {values[values.length - 1]}, 1));
  }

  static TrainResult result(ParameterSet p, long examples, double loss) {
    return new TrainResult(p, examples, 1, Metrics.of(Metrics.LOSS, loss));
  }

  /** One round of {@code s} from {@code global}: client i (id {@code ClientId.ofIndex(i)}) sends {@code updates[i]}, 10 examples, loss 0.5. */
  static AggregateResult aggregate(Strategy s, ParameterSet global, float[]... updates) {
    Aggregation agg = s.beginAggregation(1, global);
    for (int i = 0; i < updates.length; i++) {
      agg.accept(ClientId.ofIndex(i), result(params(updates[i]), 10, 0.5));
    }
    return agg.finish(List.of());
  }

  /** Clients of {@code verdicts} with {@code action}, by index. */
  static List<Integer> clients(List<ClientVerdict> verdicts, ClientVerdict.Action action) {
    return verdicts.stream().filter(v -> v.action() == action)
        .map(v -> Integer.parseInt(v.client().value().substring(1))).toList();
  }

  static double maxAbsDiff(float[] a, float[] b) {
    double m = 0;
    for (int i = 0; i < a.length; i++) {
      m = Math.max(m, Math.abs((double) a[i] - b[i]));
    }
    return m;
  }

  static double l2Diff(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      double d = (double) a[i] - b[i];
      s += d * d;
    }
    return Math.sqrt(s);
  }
}
