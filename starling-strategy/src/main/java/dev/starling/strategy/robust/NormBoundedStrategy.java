package dev.starling.strategy.robust;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import java.util.ArrayList;
import java.util.List;

/**
 * Norm bounding on the server (Sun, Kairouz, Suresh, McMahan, "Can You Really Backdoor Federated
 * Learning?", 2019): before an update reaches the decorated strategy, its difference to the global
 * model, {@code delta = w_i - global}, is scaled down to L2 norm at most {@code maxNorm}:
 * {@code w_i' = global + delta * min(1, maxNorm / ||delta||)}. Updates within the bound pass unchanged.
 *
 * <p><b>Tolerates</b>: it does not exclude anyone, it bounds each client's influence: with a mean-based
 * delegate over n updates, f attackers move the aggregate by at most {@code f * maxNorm / n} (uniform
 * weights) beyond what the honest updates do. It accepts every plan the delegate accepts.
 *
 * <p>Verdicts: {@code CLIPPED} for every scaled update, weight = the scale factor
 * {@code maxNorm / ||delta||}, followed by the delegate's verdicts. Adds the metric
 * {@code clients_clipped}. {@link #requiredInput()} is {@code INDIVIDUAL_UPDATES} whatever the delegate
 * needs, because each update must be seen to be clipped on the server (under secure aggregation, clip on
 * the clients instead).
 *
 * <p>Stateless between rounds; each {@link Aggregation} is thread-confined.
 */
public final class NormBoundedStrategy extends ForwardingStrategy {
  private final double maxNorm;

  /** Clips every update's distance to the global model to {@code maxNorm > 0} before {@code delegate} sees it. */
  public NormBoundedStrategy(Strategy delegate, double maxNorm) {
    super(delegate);
    this.maxNorm = Checks.checkPositive(maxNorm, "maxNorm");
  }

  /** The L2 bound on each update's distance to the global model. */
  public double maxNorm() {
    return maxNorm;
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    Aggregation inner = super.beginAggregation(round, global);
    List<ClientVerdict> clipped = new ArrayList<>();
    return new Aggregation() {
      @Override
      public void accept(ClientId client, TrainResult result) {
        double norm = Math.sqrt(squaredDistance(result.parameters(), global));
        if (norm > maxNorm) {
          double scale = maxNorm / norm;
          clipped.add(new ClientVerdict(client, ClientVerdict.Action.CLIPPED, scale, describeSelf()));
          inner.accept(client, result.withParameters(scaleTowards(global, result.parameters(), scale)));
        } else {
          inner.accept(client, result);
        }
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        AggregateResult r = inner.finish(failures);
        List<ClientVerdict> verdicts = new ArrayList<>(clipped);
        verdicts.addAll(r.verdicts());
        Metrics m = r.metrics().with(Metrics.of("clients_clipped", clipped.size()));
        return new AggregateResult(r.parameters(), m, verdicts);
      }
    };
  }

  /** {@code ||p - global||^2}, accumulated in double. */
  private static double squaredDistance(ParameterSet p, ParameterSet global) {
    double s = 0;
    List<Tensor> gs = global.tensors();
    List<Tensor> ps = p.tensors();
    for (int t = 0; t < gs.size(); t++) {
      float[] g = gs.get(t).data();
      float[] w = ps.get(t).data();
      for (int j = 0; j < g.length; j++) {
        double dj = (double) w[j] - g[j];
        s += dj * dj;
      }
    }
    return s;
  }

  /** A new set {@code global + scale * (p - global)}; neither input is modified. */
  private static ParameterSet scaleTowards(ParameterSet global, ParameterSet p, double scale) {
    List<Tensor> gs = global.tensors();
    List<Tensor> ps = p.tensors();
    List<Tensor> out = new ArrayList<>(gs.size());
    for (int t = 0; t < gs.size(); t++) {
      float[] g = gs.get(t).data();
      float[] w = ps.get(t).data();
      float[] c = new float[g.length];
      for (int j = 0; j < g.length; j++) {
        c[j] = (float) (g[j] + scale * ((double) w[j] - g[j]));
      }
      out.add(Tensor.of(ps.get(t).name(), c, ps.get(t).shape()));
    }
    return ParameterSet.of(out);
  }

  private String describeSelf() {
    return "NormBounded(maxNorm=" + maxNorm + ")";
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.INDIVIDUAL_UPDATES;
  }

  @Override
  public String describe() {
    return describeSelf() + " <- " + super.describe();
  }
}
