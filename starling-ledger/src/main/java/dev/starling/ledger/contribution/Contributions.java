package dev.starling.ledger.contribution;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import java.util.Arrays;
import java.util.BitSet;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.ToDoubleFunction;

/**
 * Contribution scores of one round's accepted updates, computed by the server on a validation set it
 * holds. The value of a coalition S is the utility (higher is better) of the example-weighted average of
 * S's updates; the empty coalition's value is that of the model the round started from. Utilities are
 * cached per coalition, so each is evaluated once.
 */
public final class Contributions {
  /** Most clients per round that exact Shapley (2^n evaluations) accepts. */
  public static final int MAX_EXACT = 8;

  /** One accepted update. */
  public record Update(String client, ParameterSet parameters, long examples) {
    public Update {
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(parameters, "parameters");
      Checks.checkArgument(examples > 0, "examples", "> 0", examples);
    }
  }

  /** Scores in the order of the updates, and how many coalitions were evaluated. */
  public record Scores(double[] scores, int evaluations) {}

  /**
   * Settings of the sampling methods.
   *
   * @param permutations most permutations TMC / GTG sample
   * @param truncation within-round truncation: stop a permutation once |v(N) - v(prefix)| falls below this
   * @param roundTruncation GTG: a round whose |v(N) - v(empty)| is below this scores every client 0
   * @param convergence GTG: stop once the mean relative change of the estimates over the last n
   *     permutations is below this
   * @param seed seed of the permutations
   */
  public record Settings(int permutations, double truncation, double roundTruncation, double convergence, long seed) {
    public Settings {
      Checks.checkPositive(permutations, "permutations");
      Checks.checkNonNegative(truncation, "truncation");
      Checks.checkNonNegative(roundTruncation, "roundTruncation");
      Checks.checkNonNegative(convergence, "convergence");
    }

    public static Settings defaults(long seed) {
      return new Settings(50, 1e-4, 1e-4, 0.01, seed);
    }
  }

  private final List<Update> updates;
  private final ParameterSet before;
  private final ToDoubleFunction<ParameterSet> utility;
  private final Map<BitSet, Double> cache = new HashMap<>();
  private final float[][] flat;

  /** {@code utility}: the validation score of a model (higher is better, e.g. accuracy or -loss). */
  public Contributions(List<Update> updates, ParameterSet before, ToDoubleFunction<ParameterSet> utility) {
    this.updates = List.copyOf(updates);
    this.before = Objects.requireNonNull(before, "before");
    this.utility = Objects.requireNonNull(utility, "utility");
    this.flat = new float[this.updates.size()][];
    for (int i = 0; i < flat.length; i++) {
      this.updates.get(i).parameters().checkSameSpec(before, "update of " + this.updates.get(i).client());
      flat[i] = this.updates.get(i).parameters().flatten();
    }
  }

  public Scores compute(ContributionMethod method, Settings settings) {
    double[] s = switch (method) {
      case LOO -> leaveOneOut();
      case EXACT -> exactShapley();
      case TMC -> monteCarlo(settings, false);
      case GTG -> monteCarlo(settings, true);
    };
    return new Scores(s, cache.size());
  }

  /** v(S): the utility of the example-weighted average of S's updates (the starting model for S empty). */
  double value(BitSet s) {
    Double v = cache.get(s);
    if (v != null) {
      return v;
    }
    double u;
    if (s.isEmpty()) {
      u = utility.applyAsDouble(before);
    } else {
      double total = 0;
      for (int i = s.nextSetBit(0); i >= 0; i = s.nextSetBit(i + 1)) {
        total += updates.get(i).examples();
      }
      double[] acc = new double[flat[0].length];
      for (int i = s.nextSetBit(0); i >= 0; i = s.nextSetBit(i + 1)) {
        double w = updates.get(i).examples() / total;
        float[] x = flat[i];
        for (int j = 0; j < acc.length; j++) {
          acc[j] += w * x[j];
        }
      }
      float[] avg = new float[acc.length];
      for (int j = 0; j < avg.length; j++) {
        avg[j] = (float) acc[j];
      }
      u = utility.applyAsDouble(before.unflatten(avg));
    }
    cache.put((BitSet) s.clone(), u);
    return u;
  }

  private BitSet all() {
    BitSet b = new BitSet(updates.size());
    b.set(0, updates.size());
    return b;
  }

  double[] leaveOneOut() {
    int n = updates.size();
    double full = value(all());
    double[] s = new double[n];
    for (int i = 0; i < n; i++) {
      BitSet without = all();
      without.clear(i);
      s[i] = full - value(without);
    }
    return s;
  }

  /**
   * Exact Shapley for up to {@code maxClients} (at most 16) clients: the reference of {@code bench
   * contribution}, which scores rounds of 10. Servers use {@link #compute}, capped at {@value #MAX_EXACT}.
   */
  public Scores exactReference(int maxClients) {
    Checks.checkArgument(maxClients >= 1 && maxClients <= 16, "maxClients", "1..16", maxClients);
    if (updates.size() > maxClients) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "exact Shapley reference capped at " + maxClients
          + " clients; this round has " + updates.size());
    }
    return new Scores(exactShapley(updates.size()), cache.size());
  }

  double[] exactShapley() {
    int n = updates.size();
    if (n > MAX_EXACT) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "exact Shapley takes at most " + MAX_EXACT
          + " clients per round (2^n evaluations); this round has " + n + ": use --contribution tmc or gtg");
    }
    return exactShapley(n);
  }

  private double[] exactShapley(int n) {
    double[] fact = new double[n + 1];
    fact[0] = 1;
    for (int i = 1; i <= n; i++) {
      fact[i] = fact[i - 1] * i;
    }
    double[] s = new double[n];
    for (int mask = 0; mask < (1 << n); mask++) {
      BitSet set = BitSet.valueOf(new long[] {mask});
      double v = value(set);
      int size = Integer.bitCount(mask);
      for (int i = 0; i < n; i++) {
        if ((mask & (1 << i)) == 0) {
          BitSet with = (BitSet) set.clone();
          with.set(i);
          double weight = fact[size] * fact[n - size - 1] / fact[n];
          s[i] += weight * (value(with) - v);
        }
      }
    }
    return s;
  }

  double[] monteCarlo(Settings st, boolean guided) {
    int n = updates.size();
    double[] s = new double[n];
    double full = value(all());
    double empty = value(new BitSet());
    if (guided && Math.abs(full - empty) < st.roundTruncation()) {
      return s; // between-round truncation: this round's aggregate changes too little to share out
    }
    RandomSource rng = RandomSource.seeded(st.seed());
    double[] previous = new double[n];
    for (int k = 1; k <= st.permutations(); k++) {
      int[] perm = rng.permutation(n);
      if (guided) {
        int lead = (k - 1) % n; // guided sampling: every client leads a permutation in turn
        for (int j = 0; j < n; j++) {
          if (perm[j] == lead) {
            perm[j] = perm[0];
            perm[0] = lead;
            break;
          }
        }
      }
      BitSet prefix = new BitSet(n);
      double prev = empty;
      for (int j = 0; j < n; j++) {
        int c = perm[j];
        double marginal;
        if (Math.abs(full - prev) < st.truncation()) {
          marginal = 0; // within-round truncation: the rest add (almost) nothing
        } else {
          prefix.set(c);
          double v = value(prefix);
          marginal = v - prev;
          prev = v;
        }
        s[c] += (marginal - s[c]) / k; // running mean over permutations
      }
      if (guided && k % n == 0 && k >= 2 * n) {
        double change = 0;
        double scale = 0;
        for (int i = 0; i < n; i++) {
          change += Math.abs(s[i] - previous[i]);
          scale += Math.abs(s[i]);
        }
        if (scale > 0 && change / scale < st.convergence()) {
          break;
        }
      }
      if (guided && k % n == 0) {
        previous = Arrays.copyOf(s, n);
      }
    }
    return s;
  }

  /**
   * Splits {@code budget} in proportion to the positive scores; clients with a score of 0 or below (and
   * everyone, when no score is positive) get nothing.
   */
  public static double[] rewards(double[] scores, double budget) {
    Checks.checkNonNegative(budget, "budget");
    double positive = 0;
    for (double s : scores) {
      if (s > 0) {
        positive += s;
      }
    }
    double[] r = new double[scores.length];
    if (positive > 0) {
      for (int i = 0; i < r.length; i++) {
        r[i] = scores[i] > 0 ? budget * scores[i] / positive : 0;
      }
    }
    return r;
  }
}
