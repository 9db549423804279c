package dev.starling.strategy;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.aggregate.LossTally;
import dev.starling.strategy.aggregate.WeightedSum;
import java.util.List;

/**
 * Federated Averaging (McMahan, Moore, Ramage, Hampson, Arcas, "Communication-Efficient Learning of
 * Deep Networks from Decentralized Data", AISTATS 2017): the new global model is the mean of the
 * clients' models weighted by their number of training examples, {@code w = sum_k n_k w_k / sum_k n_k}.
 *
 * <p>Folds each update into a running weighted sum as it arrives (O(model size) memory). Reported
 * metrics: {@code train_loss} (example-weighted mean of the clients' last-epoch loss),
 * {@code clients_aggregated}, {@code examples}. Stateless between rounds and thread-confined.
 */
public class FedAvg implements Strategy {
  /** How client models are weighted. */
  public enum Weighting {
    /** By number of training examples (FedAvg). */
    EXAMPLES,
    /** Every client counts once (plain average). */
    UNIFORM
  }

  private final Weighting weighting;

  /** FedAvg weighted by examples. */
  public FedAvg() {
    this(Weighting.EXAMPLES);
  }

  public FedAvg(Weighting weighting) {
    this.weighting = weighting;
  }

  /** How client models are weighted. */
  public Weighting weighting() {
    return weighting;
  }

  /** The plain (unweighted) average of client models. */
  public static FedAvg plainAverage() {
    return new FedAvg(Weighting.UNIFORM);
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return new Aggregation() {
      private final WeightedSum sum = new WeightedSum(global);
      private final LossTally trainLoss = new LossTally();
      private long examples;

      @Override
      public void accept(ClientId client, TrainResult result) {
        double w = weighting == Weighting.EXAMPLES ? result.numExamples() : 1.0;
        sum.add(result.parameters(), w);
        examples += result.numExamples();
        trainLoss.add(result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        Metrics.Builder m = Metrics.builder();
        trainLoss.putInto(m);
        m.put("clients_aggregated", sum.count()).put("examples", examples);
        ParameterSet next = sum.totalWeight() > 0 ? sum.mean() : global;
        return new AggregateResult(next, m.build());
      }
    };
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.SUM_ONLY;
  }

  @Override
  public String describe() {
    return weighting == Weighting.EXAMPLES ? "FedAvg(weighting=examples)" : "Average(weighting=uniform)";
  }
}
