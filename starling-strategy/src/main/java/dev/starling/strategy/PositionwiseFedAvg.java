package dev.starling.strategy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.aggregate.LossTally;
import java.util.List;

/**
 * FedAvg for sparse and sub-model updates: every coordinate is the example-weighted mean over the
 * clients that trained it, {@code w_j = sum_k n_k m_kj w_kj / sum_k n_k m_kj}, where {@code m_kj} is 1 when
 * client k's {@link AttachmentKey#TRAINED_MASK} marks coordinate j (an update without a mask trained
 * every coordinate). A coordinate no client trained keeps its global value. With full updates it is
 * exactly {@link FedAvg}.
 *
 * <p>Streams: two model-sized running sums (values and weights), O(model size) memory. A mask that is
 * not shaped like the model or holds values other than 0 and 1 is refused with INVALID_ARGUMENT naming
 * the client, before anything of that update is folded. Metrics: those of FedAvg plus
 * {@code coordinates_trained} (fraction of coordinates at least one client trained),
 * {@code mean_trained_fraction} (mean over clients of the fraction each trained) and, when clients
 * report it, {@code local_epsilon} (the largest client epsilon reported so far in the run).
 * Thread-confined.
 */
public final class PositionwiseFedAvg implements Strategy {
  private double maxLocalEpsilon = Double.NaN;

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return new Aggregation() {
      private final float[] g = global.flatten();
      private final double[] sum = new double[g.length];
      private final double[] weight = new double[g.length];
      private final LossTally trainLoss = new LossTally();
      private long examples;
      private int count;
      private double trainedFractionSum;

      @Override
      public void accept(ClientId client, TrainResult result) {
        double n = result.numExamples();
        float[] w = result.parameters().flatten();
        float[] mask = null;
        ParameterSet m = result.attachments().get(AttachmentKey.TRAINED_MASK).orElse(null);
        if (m != null) {
          if (!m.sameSpec(global)) {
            throw new FlException(ErrorCode.INVALID_ARGUMENT, "client " + client + ": trained-mask is not shaped like the model");
          }
          mask = m.flatten();
          for (int j = 0; j < mask.length; j++) {
            if (mask[j] != 0f && mask[j] != 1f) {
              throw new FlException(ErrorCode.INVALID_ARGUMENT, "client " + client + ": trained-mask value " + j
                  + " is " + mask[j] + ", expected 0 or 1");
            }
          }
        }
        long trained = 0;
        for (int j = 0; j < w.length; j++) {
          if (mask == null || mask[j] != 0f) {
            sum[j] += n * w[j];
            weight[j] += n;
            trained++;
          }
        }
        count++;
        trainedFractionSum += (double) trained / Math.max(1, w.length);
        examples += result.numExamples();
        trainLoss.add(result);
        double eps = result.metrics().getOrNaN("local_epsilon");
        if (!Double.isNaN(eps) && !(eps <= maxLocalEpsilon)) {
          maxLocalEpsilon = eps;
        }
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        Metrics.Builder m = Metrics.builder();
        trainLoss.putInto(m);
        m.put("clients_aggregated", count).put("examples", examples);
        if (count == 0) {
          return new AggregateResult(global, m.build());
        }
        float[] out = new float[g.length];
        long covered = 0;
        for (int j = 0; j < g.length; j++) {
          if (weight[j] > 0) {
            out[j] = (float) (sum[j] / weight[j]);
            covered++;
          } else {
            out[j] = g[j];
          }
        }
        m.put("coordinates_trained", (double) covered / Math.max(1, g.length));
        m.put("mean_trained_fraction", trainedFractionSum / count);
        if (!Double.isNaN(maxLocalEpsilon)) {
          m.put("local_epsilon", maxLocalEpsilon);
        }
        return new AggregateResult(global.unflatten(out), m.build());
      }
    };
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.PER_CLIENT_DETAILS;
  }

  @Override
  public String describe() {
    return "PositionwiseFedAvg(weighting=examples)";
  }
}
