package dev.starling.strategy.robust;

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
 * Coordinate-wise median (Yin, Chen, Ramchandran, Bartlett, "Byzantine-Robust Distributed Learning:
 * Towards Optimal Statistical Rates", ICML 2018): every coordinate of the new global model is the median
 * of that coordinate over the n client models; for even n, the mean of the two middle values.
 *
 * <p><b>Tolerates</b> {@code f < n/2} faulty clients. {@link #prepare} refuses plans with fewer than 3
 * clients per round (below 3 the median tolerates no faulty client), and {@code finish} refuses to
 * aggregate a round with fewer than 3 updates (the global model is kept, metric
 * {@code aggregation_refused = 1}).
 *
 * <p>Verdicts: {@code DOWNWEIGHTED} for clients whose values were a middle value in fewer than half as
 * many coordinates as the average client's (see {@code Verdicts.downweighted}); weight = that rate
 * relative to the average. Metrics: {@code clients_aggregated}, {@code train_loss},
 * {@code examples}, {@code clients_downweighted}.
 *
 * <p>The kernel is {@link OrderStatistics#median} (sorting networks over coordinate blocks, on all
 * cores), exactly equal to sorting every column. Stateless between rounds; each {@link Aggregation} is thread-confined.
 */
public final class CoordinateMedian implements Strategy {
  /** The fewest updates at which a median tolerates one faulty client. */
  static final int MIN_CLIENTS = 3;

  /** The coordinate-wise median; it has no parameters. */
  public CoordinateMedian() {}

  @Override
  public void prepare(RoundPlan plan) {
    Requirements.requireClients(plan, MIN_CLIENTS,
        "CoordinateMedian tolerates f < n/2 faulty clients and so needs at least " + MIN_CLIENTS + " (f=1)", "");
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return new RobustAggregation(global, MIN_CLIENTS, this::aggregate);
  }

  private AggregateResult aggregate(RobustAggregation round) {
    int n = round.size();
    int[] kept = new int[n];
    float[] out = OrderStatistics.median(round.rows(), kept);
    List<ClientVerdict> verdicts = Verdicts.downweighted(round, kept, out.length, describe());
    Metrics m = round.metricsOfAll().put("clients_downweighted", verdicts.size()).build();
    return new AggregateResult(round.toParameters(out), m, verdicts);
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.INDIVIDUAL_UPDATES;
  }

  @Override
  public String describe() {
    return "CoordinateMedian";
  }
}
