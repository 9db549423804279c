package dev.starling.strategy;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.aggregate.LossTally;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * FedNova, normalized averaging (Wang, Liu, Liang, Joshi, Poor, "Tackling the Objective Inconsistency
 * Problem in Heterogeneous Federated Optimization", NeurIPS 2020). Clients that take more local steps
 * move further; plain averaging then optimises a skewed objective. FedNova divides each client's change
 * by the norm of its local aggregation vector before averaging:
 * <pre>
 *   d_i     = (x - w_i) / a_i                  normalized update of client i
 *   tau_eff = sum_i p_i a_i,  p_i = n_i / sum_j n_j
 *   x'      = x - tau_eff sum_i p_i d_i
 * </pre>
 * where {@code a_i = ||a_i||_1} for {@code tau_i} = {@link TrainResult#localSteps()} local steps is
 * {@code tau_i} for plain SGD and, for heavy-ball momentum {@code rho},
 * {@code [tau_i - rho (1 - rho^tau_i) / (1 - rho)] / (1 - rho)}. {@code rho} is the
 * {@link TrainConfig#momentum()} this strategy saw in {@link #configureTrain} for that client (the last
 * one seen for clients it did not configure). Other local modifications (proximal term, weight decay)
 * are not part of {@code a_i}. With equal steps and no momentum FedNova equals {@link FedAvg}.
 *
 * <p>Folds updates into running sums as they arrive (O(model size) memory). Clients with
 * {@code tau_i = 0} or no examples are skipped. Metrics: {@code train_loss} (example-weighted),
 * {@code clients_aggregated}, {@code examples}, and {@code tau_eff} when a client was aggregated.
 * Not thread-safe: called from one thread in the order of {@link Strategy}.
 */
public final class FedNova implements Strategy {
  private final Map<ClientId, Double> momentumByClient = new HashMap<>();
  private double lastMomentum;

  /** Remembers {@code base.momentum()} for this client's normalisation; returns {@code base}. */
  @Override
  public TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
    momentumByClient.put(client, base.momentum());
    lastMomentum = base.momentum();
    return base;
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    Map<ClientId, Double> momenta = Map.copyOf(momentumByClient);
    double fallback = lastMomentum;
    momentumByClient.clear();
    return new Aggregation() {
      private final List<Tensor> xs = global.tensors();
      private final float[][] sumD = new float[xs.size()][]; // sum_i n_i d_i, allocated on first use
      private double examples; // sum_i n_i
      private double sumNA; // sum_i n_i a_i
      private final LossTally trainLoss = new LossTally();
      private int aggregated;

      @Override
      public void accept(ClientId client, TrainResult result) {
        long n = result.numExamples();
        if (result.localSteps() == 0 || n == 0) {
          return;
        }
        double a = normalizer(result.localSteps(), momenta.getOrDefault(client, fallback));
        double scale = n / a;
        List<Tensor> ws = result.parameters().tensors();
        for (int t = 0; t < xs.size(); t++) {
          float[] x = xs.get(t).data();
          float[] w = ws.get(t).data();
          if (sumD[t] == null) {
            sumD[t] = new float[x.length];
          }
          float[] s = sumD[t];
          for (int j = 0; j < x.length; j++) {
            s[j] += (float) (scale * ((double) x[j] - w[j]));
          }
        }
        examples += n;
        sumNA += n * a;
        aggregated++;
        trainLoss.add(result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        Metrics.Builder m = Metrics.builder();
        trainLoss.putInto(m);
        m.put("clients_aggregated", aggregated).put("examples", examples);
        if (aggregated == 0) {
          return new AggregateResult(global, m.build());
        }
        double tauEff = sumNA / examples;
        double coef = tauEff / examples; // x' = x - tau_eff * (sum n_i d_i) / sum n_i
        List<Tensor> out = new ArrayList<>(xs.size());
        for (int t = 0; t < xs.size(); t++) {
          float[] x = xs.get(t).data();
          float[] next = new float[x.length];
          for (int j = 0; j < x.length; j++) {
            next[j] = (float) (x[j] - coef * sumD[t][j]);
          }
          out.add(Tensor.of(xs.get(t).name(), next, xs.get(t).shape()));
        }
        return new AggregateResult(ParameterSet.of(out), m.put("tau_eff", tauEff).build());
      }
    };
  }

  /**
   * {@code ||a||_1} of the local aggregation vector after {@code tau} steps of SGD with heavy-ball
   * momentum {@code rho}: {@code tau} for {@code rho = 0}, else
   * {@code [tau - rho (1 - rho^tau) / (1 - rho)] / (1 - rho)} (Wang et al. 2020, Section 4).
   */
  static double normalizer(long tau, double rho) {
    if (rho == 0) {
      return tau;
    }
    return (tau - rho * (1 - Math.pow(rho, tau)) / (1 - rho)) / (1 - rho);
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.PER_CLIENT_DETAILS;
  }

  @Override
  public String describe() {
    return "FedNova(weighting=examples)";
  }
}
