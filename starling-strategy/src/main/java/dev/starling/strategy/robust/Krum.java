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
import dev.starling.strategy.kernel.Rows;
import java.util.List;

/**
 * Krum (Blanchard, El Mhamdi, Guerraoui, Stainer, "Machine Learning with Adversaries: Byzantine
 * Tolerant Gradient Descent", NeurIPS 2017): each update i gets the score
 * {@code s(i) = sum of ||w_i - w_j||^2 over its n - f - 2 nearest neighbours j}, and the new global
 * model is the update with the lowest score (ties: the earliest to arrive).
 *
 * <p><b>Tolerates</b> {@code f} faulty clients out of n when {@code 2f + 2 < n}, i.e.
 * {@code n >= 2f + 3}. {@link #prepare} refuses plans with fewer clients per round, and {@code finish}
 * refuses to aggregate a round with fewer updates (global kept, {@code aggregation_refused = 1}).
 * Distances come from {@link PairwiseDistances} (blocked Gram matrix).
 *
 * <p>Verdicts: {@code REJECTED} for every client not selected. Metrics: {@code clients_aggregated} (n),
 * {@code train_loss} and {@code examples} of the selected client, {@code krum_selected} (1),
 * {@code clients_rejected}.
 *
 * <p>Stateless between rounds; each {@link Aggregation} is thread-confined.
 */
public final class Krum implements Strategy {
  private final int f;

  /** Krum assuming at most {@code f >= 0} faulty clients per round. */
  public Krum(int f) {
    this.f = Checks.checkNonNegative(f, "f");
  }

  /** The number of faulty clients per round Krum is configured to tolerate. */
  public int f() {
    return f;
  }

  /** The fewest clients per round Krum can defend: {@code 2f + 3}. */
  public int minClients() {
    return 2 * f + 3;
  }

  @Override
  public void prepare(RoundPlan plan) {
    Requirements.requireClients(plan, minClients(), "Krum with f=" + f + " needs at least 2f+3 = " + minClients(), "lower f");
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return new RobustAggregation(global, minClients(), this::aggregate);
  }

  private AggregateResult aggregate(RobustAggregation round) {
    boolean[] selected = new boolean[round.size()];
    float[] out = krum(round.rows(), round.global(), f, selected);
    List<ClientVerdict> verdicts = Verdicts.rejected(round, selected, describe());
    Metrics m = round.metrics(selected).put("krum_selected", 1).put("clients_rejected", verdicts.size()).build();
    return new AggregateResult(round.toParameters(out), m, verdicts);
  }

  /**
   * The kernel: the update with the lowest Krum score, marked in {@code selected}. {@code global} only
   * centres the distance computation.
   */
  private static float[] krum(Rows updates, float[] global, int f, boolean[] selected) {
    double[][] dist = PairwiseDistances.squared(updates, global);
    int[] all = new int[updates.count()];
    for (int i = 0; i < all.length; i++) {
      all[i] = i;
    }
    int best = KrumScores.ranking(KrumScores.scores(dist, all, f))[0];
    selected[best] = true;
    return updates.flat(best);
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.INDIVIDUAL_UPDATES;
  }

  @Override
  public String describe() {
    return "Krum(f=" + f + ")";
  }
}
