package dev.starling.strategy.robust;

import dev.starling.core.error.Checks;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import java.util.Arrays;
import java.util.List;

/**
 * Bulyan (El Mhamdi, Guerraoui, Rouault, "The Hidden Vulnerability of Distributed Learning in
 * Byzantium", ICML 2018), in two phases:
 * <ol>
 *   <li>selection: {@code theta = n - 2f} updates are chosen by iterated {@link Krum}: pick the update
 *       with the lowest Krum score, remove it, recompute the scores on the remaining set, repeat (the
 *       neighbour count follows the remaining set's size, see {@link KrumScores});</li>
 *   <li>aggregation: per coordinate, the {@code beta = theta - 2f} selected values closest to the
 *       coordinate's median (of the theta selected values) are averaged.</li>
 * </ol>
 *
 * <p><b>Tolerates</b> {@code f} faulty clients out of n when {@code n >= 4f + 3}. {@link #prepare}
 * refuses plans with fewer clients per round, and {@code finish} refuses to aggregate a round with
 * fewer updates (global kept, {@code aggregation_refused = 1}).
 *
 * <p>Verdicts: {@code REJECTED} for every client not among the theta selected. Metrics:
 * {@code clients_aggregated} (n), {@code train_loss} and {@code examples} of the selected clients,
 * {@code bulyan_selected} (theta), {@code bulyan_kept_per_coordinate} (beta), {@code clients_rejected}.
 *
 * <p>Stateless between rounds; each {@link Aggregation} is thread-confined.
 */
public final class Bulyan implements Strategy {
  private final int f;

  /** Bulyan assuming at most {@code f >= 0} faulty clients per round. */
  public Bulyan(int f) {
    this.f = Checks.checkNonNegative(f, "f");
  }

  /** The number of faulty clients per round Bulyan is configured to tolerate. */
  public int f() {
    return f;
  }

  /** The fewest clients per round Bulyan can defend: {@code 4f + 3}. */
  public int minClients() {
    return 4 * f + 3;
  }

  @Override
  public void prepare(RoundPlan plan) {
    Requirements.requireClients(plan, minClients(), "Bulyan with f=" + f + " needs at least 4f+3 = " + minClients(), "lower f");
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return new RobustAggregation(global, minClients(), this::aggregate);
  }

  private AggregateResult aggregate(RobustAggregation round) {
    int n = round.size();
    boolean[] selected = new boolean[n];
    float[] out = bulyan(round.updates(), round.global(), f, selected);
    List<ClientVerdict> verdicts = Verdicts.rejected(round, selected, describe());
    Metrics m = round.metrics(selected).put("bulyan_selected", n - 2 * f).put("bulyan_kept_per_coordinate", n - 4 * f)
        .put("clients_rejected", verdicts.size()).build();
    return new AggregateResult(round.toParameters(out), m, verdicts);
  }

  /**
   * The kernel: Bulyan of {@code updates} ({@code n >= 4f + 3} rows), marking the theta selected rows in
   * {@code selected}. {@code global} only centres the distance computation.
   */
  private static float[] bulyan(float[][] updates, float[] global, int f, boolean[] selected) {
    int n = updates.length;
    int theta = n - 2 * f;
    double[][] dist = PairwiseDistances.squared(updates, global);
    int[] remaining = new int[n];
    for (int i = 0; i < n; i++) {
      remaining[i] = i;
    }
    float[][] chosen = new float[theta][];
    for (int t = 0; t < theta; t++) {
      int pos = KrumScores.ranking(KrumScores.scores(dist, remaining, f))[0];
      int pick = remaining[pos];
      selected[pick] = true;
      chosen[t] = updates[pick];
      int[] rest = new int[remaining.length - 1];
      System.arraycopy(remaining, 0, rest, 0, pos);
      System.arraycopy(remaining, pos + 1, rest, pos, rest.length - pos);
      remaining = rest;
    }
    return closestToMedianMean(chosen, theta - 2 * f);
  }

  /** Per coordinate, the mean of the {@code beta} values of {@code rows} closest to their median. */
  private static float[] closestToMedianMean(float[][] rows, int beta) {
    int n = rows.length;
    int d = rows[0].length;
    int block = Columns.blockSize(n);
    float[] scratch = new float[block * n];
    float[] out = new float[d];
    for (int from = 0; from < d; from += block) {
      int len = Math.min(block, d - from);
      for (int i = 0; i < n; i++) {
        for (int j = 0; j < len; j++) {
          scratch[j * n + i] = rows[i][from + j];
        }
      }
      for (int j = 0; j < len; j++) {
        int lo = j * n;
        int hi = lo + n - 1;
        Arrays.sort(scratch, lo, hi + 1);
        double median = ((double) scratch[lo + (n - 1) / 2] + scratch[lo + n / 2]) / 2;
        // The beta values closest to the median are contiguous in sorted order: shrink [lo, hi].
        while (hi - lo + 1 > beta) {
          if (median - scratch[lo] > scratch[hi] - median) {
            lo++;
          } else {
            hi--;
          }
        }
        double s = 0;
        for (int r = lo; r <= hi; r++) {
          s += scratch[r];
        }
        out[from + j] = (float) (s / beta);
      }
    }
    return out;
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.INDIVIDUAL_UPDATES;
  }

  @Override
  public String describe() {
    return "Bulyan(f=" + f + ")";
  }
}
