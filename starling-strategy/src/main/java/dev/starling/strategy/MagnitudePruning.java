package dev.starling.strategy;

import dev.starling.core.error.Checks;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.Arrays;

/**
 * Magnitude pruning of the global model (Zhu and Gupta, "To prune, or not to prune", 2017), as a
 * decorator: after each round's aggregation the smallest-magnitude weights (tensors of rank 2 or more;
 * biases are kept) are set to zero so that a fraction {@code s_t} of them is zero, with the gradual
 * schedule {@code s_t = s (1 - (1 - min(t, T) / T)^3)} reaching the target sparsity {@code s} at round
 * T = {@code rampRounds} (T = 1 prunes fully from the first round). Clients train the pruned model;
 * weights they regrow are pruned again next round. A pruned model compresses on the downlink with a
 * sparse codec (e.g. {@code topk:(1-s)}), which then sends exactly the surviving weights.
 *
 * <p>Ties at the threshold are pruned lowest position first, so exactly {@code floor(s_t n)} weights of
 * each tensor are zero (plus any that were zero already). Adds the metric {@code sparsity} (fraction of
 * zero weights). Thread-confined like its delegate.
 */
public final class MagnitudePruning extends ForwardingStrategy {
  private final double sparsity;
  private final int rampRounds;

  public MagnitudePruning(Strategy delegate, double sparsity, int rampRounds) {
    super(delegate);
    Checks.checkArgument(sparsity >= 0 && sparsity < 1, "sparsity", "in [0, 1)", sparsity);
    this.sparsity = sparsity;
    this.rampRounds = Checks.checkPositive(rampRounds, "rampRounds");
  }

  /** The target sparsity at {@code round} (1-based). */
  public double sparsityAt(int round) {
    double t = Math.min(round, rampRounds) / (double) rampRounds;
    return sparsity * (1 - Math.pow(1 - t, 3));
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    double target = sparsityAt(round);
    return super.beginAggregation(round, global).andThen(r -> {
      long zeros = 0;
      long weights = 0;
      ParameterSet pruned = r.parameters().copy();
      for (Tensor t : pruned) {
        if (t.rank() < 2) {
          continue;
        }
        prune(t.data(), (int) Math.floor(target * t.size()));
        for (float v : t.data()) {
          if (v == 0f) {
            zeros++;
          }
        }
        weights += t.size();
      }
      Metrics m = r.metrics().with(Metrics.of("sparsity", weights == 0 ? 0 : (double) zeros / weights));
      return new AggregateResult(pruned, m, r.verdicts());
    });
  }

  /** Zeroes the {@code k} smallest magnitudes of {@code w}, ties lowest position first. */
  static void prune(float[] w, int k) {
    if (k <= 0) {
      return;
    }
    float[] mag = new float[w.length];
    for (int i = 0; i < w.length; i++) {
      mag[i] = Math.abs(w[i]);
    }
    Arrays.sort(mag);
    float threshold = mag[k - 1];
    int below = 0;
    for (float v : w) {
      if (Math.abs(v) < threshold) {
        below++;
      }
    }
    int ties = k - below;
    for (int i = 0; i < w.length; i++) {
      float a = Math.abs(w[i]);
      if (a < threshold) {
        w[i] = 0f;
      } else if (a == threshold && ties > 0) {
        w[i] = 0f;
        ties--;
      }
    }
  }

  @Override
  public String describe() {
    return "MagnitudePruning(sparsity=" + sparsity + ",ramp=" + rampRounds + ") <- " + super.describe();
  }
}
