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
import dev.starling.strategy.kernel.OrderStatistics;
import java.util.List;

/**
 * Coordinate-wise trimmed mean (Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust Distributed
 * Learning: Towards Optimal Statistical Rates", ICML 2018): for every coordinate, the
 * {@code k = floor(beta * n)} largest and {@code k} smallest of the n client values are dropped and the
 * remaining {@code n - 2k} are averaged (uniformly).
 *
 * <p><b>Tolerates</b> {@code f <= floor(beta * n)} faulty clients: an attacker's value is either trimmed
 * or lies between two honest values. {@link #prepare} therefore refuses a positive {@code beta} whose
 * {@code floor(beta * clientsPerRound)} is 0 (it would trim nothing and defend nobody), and
 * {@code finish} refuses to aggregate a round where drop-outs leave {@code floor(beta * n) = 0} (global
 * kept, {@code aggregation_refused = 1}). {@code beta = 0} is accepted: it is the plain coordinate-wise
 * mean, useful as a baseline, and tolerates no faulty client. {@code floor} allows 1e-9 of rounding
 * ({@code 0.29 * 100} trims 29).
 *
 * <p>Verdicts: {@code DOWNWEIGHTED} for clients kept in fewer than half as many coordinates as the average
 * client (see {@code Verdicts.downweighted}), weight = their keep rate relative to the average. Metrics: {@code clients_aggregated},
 * {@code train_loss}, {@code examples}, {@code trimmed_per_side} (k), {@code clients_downweighted}.
 *
 * <p>The kernel is {@link OrderStatistics#trimmedMean} (sorting networks over coordinate blocks, on all
 * cores), exactly equal to sorting every column. Stateless between rounds; each {@link Aggregation} is thread-confined.
 */
public final class TrimmedMean implements Strategy {
  private final double beta;

  /** Trims the fraction {@code beta} in [0, 0.5) of values at each end of every coordinate. */
  public TrimmedMean(double beta) {
    Checks.checkArgument(beta >= 0 && beta < 0.5, "beta", "in [0, 0.5)", beta);
    this.beta = beta;
  }

  /** The fraction of values trimmed at each end of every coordinate. */
  public double beta() {
    return beta;
  }

  /** Values trimmed at each end of a coordinate with {@code n} updates: {@code floor(beta * n)}. */
  public int trimCount(int n) {
    return (int) Math.floor(beta * n + 1e-9);
  }

  /** The fewest updates this rule aggregates: 1 for beta = 0, else the least n with trimCount(n) >= 1. */
  public int minClients() {
    if (beta == 0) {
      return 1;
    }
    long n = Math.max(1, (long) Math.ceil(1 / beta) - 1);
    while (trimCount((int) Math.min(n, Integer.MAX_VALUE)) < 1 && n < Integer.MAX_VALUE) {
      n++;
    }
    return (int) Math.min(n, Integer.MAX_VALUE);
  }

  @Override
  public void prepare(RoundPlan plan) {
    Requirements.requireClients(plan, minClients(),
        describe() + " trims floor(beta*n) values per side and so needs floor(beta*n) >= 1, i.e. at least " + minClients(),
        "raise beta");
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return new RobustAggregation(global, minClients(), this::aggregate);
  }

  private AggregateResult aggregate(RobustAggregation round) {
    int n = round.size();
    int k = trimCount(n);
    int[] kept = new int[n];
    float[] out = OrderStatistics.trimmedMean(round.rows(), k, kept);
    List<ClientVerdict> verdicts = Verdicts.downweighted(round, kept, out.length, describe());
    Metrics m = round.metricsOfAll().put("trimmed_per_side", k).put("clients_downweighted", verdicts.size()).build();
    return new AggregateResult(round.toParameters(out), m, verdicts);
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.INDIVIDUAL_UPDATES;
  }

  @Override
  public String describe() {
    return "TrimmedMean(beta=" + beta + ")";
  }
}
