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
import dev.starling.strategy.kernel.RowMeans;
import dev.starling.strategy.kernel.Rows;
import java.util.List;

/**
 * Multi-Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, "Machine Learning with Adversaries: Byzantine
 * Tolerant Gradient Descent", NeurIPS 2017): scores every update as {@link Krum} does and averages
 * (uniformly) the {@code m} updates with the lowest scores; {@code m} defaults to {@code n - f}.
 *
 * <p><b>Tolerates</b> {@code f} faulty clients out of n when {@code 2f + 2 < n}, i.e.
 * {@code n >= 2f + 3}; an explicit {@code m} must also leave room for them, {@code m <= n - f}.
 * {@link #prepare} refuses plans with fewer than {@code max(2f + 3, m + f)} clients per round;
 * {@code finish} refuses to aggregate a round with fewer than {@code 2f + 3} updates (global kept,
 * {@code aggregation_refused = 1}) and, when drop-outs leave {@code n < m + f}, averages
 * {@code n - f} updates instead of m.
 *
 * <p>Verdicts: {@code REJECTED} for every client not among the m selected. Metrics:
 * {@code clients_aggregated} (n), {@code train_loss} and {@code examples} of the selected clients,
 * {@code krum_selected} (m used), {@code clients_rejected}.
 *
 * <p>Stateless between rounds; each {@link Aggregation} is thread-confined.
 */
public final class MultiKrum implements Strategy {
  private final int f;
  /** The number of updates averaged, or 0 for n - f. */
  private final int m;

  /** Multi-Krum assuming at most {@code f >= 0} faulty clients, averaging {@code n - f} updates. */
  public MultiKrum(int f) {
    this.f = Checks.checkNonNegative(f, "f");
    this.m = 0;
  }

  /** Multi-Krum assuming at most {@code f >= 0} faulty clients, averaging {@code m >= 1} updates. */
  public MultiKrum(int f, int m) {
    this.f = Checks.checkNonNegative(f, "f");
    this.m = Checks.checkPositive(m, "m");
  }

  /** The number of faulty clients per round Multi-Krum is configured to tolerate. */
  public int f() {
    return f;
  }

  /** The fewest clients per round Multi-Krum can defend: {@code max(2f + 3, m + f)}. */
  public int minClients() {
    return Math.max(2 * f + 3, m + f);
  }

  /** The number of updates averaged in a round with {@code n} updates: {@code min(m, n - f)}. */
  public int selectedCount(int n) {
    return m == 0 ? n - f : Math.min(m, n - f);
  }

  @Override
  public void prepare(RoundPlan plan) {
    String who = "MultiKrum with f=" + f + (m == 0 ? "" : " and m=" + m);
    String need = m + f > 2 * f + 3 ? "m+f = " + minClients() : "2f+3 = " + minClients();
    Requirements.requireClients(plan, minClients(), who + " needs at least " + need, m + f > 2 * f + 3 ? "lower m or f" : "lower f");
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return new RobustAggregation(global, 2 * f + 3, this::aggregate);
  }

  private AggregateResult aggregate(RobustAggregation round) {
    boolean[] selected = new boolean[round.size()];
    int count = selectedCount(round.size());
    float[] out = multiKrum(round.rows(), round.global(), f, count, selected);
    List<ClientVerdict> verdicts = Verdicts.rejected(round, selected, describe());
    Metrics metrics = round.metrics(selected).put("krum_selected", count).put("clients_rejected", verdicts.size()).build();
    return new AggregateResult(round.toParameters(out), metrics, verdicts);
  }

  /**
   * The kernel: the mean of the {@code m} updates with the lowest Krum scores, marked in
   * {@code selected}. {@code global} only centres the distance computation.
   */
  private static float[] multiKrum(Rows updates, float[] global, int f, int m, boolean[] selected) {
    double[][] dist = PairwiseDistances.squared(updates, global);
    int[] all = new int[updates.count()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    int[] order = KrumScores.ranking(KrumScores.scores(dist, all, f));
    int[] chosen = java.util.Arrays.copyOf(order, m);
    for (int i : chosen) {
      selected[i] = true;
    }
    return RowMeans.mean(updates, chosen);
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.INDIVIDUAL_UPDATES;
  }

  @Override
  public String describe() {
    return "MultiKrum(f=" + f + ",m=" + (m == 0 ? "n-f" : m) + ")";
  }
}
