package dev.starling.strategy;

import java.util.Objects;

/**
 * The shared step of the adaptive server optimisers of Reddi et al. 2021, Algorithm 2 ({@link FedAdagrad},
 * {@link FedAdam}, {@link FedYogi}), which differ only in how the second moment {@code v} moves:
 * <pre>
 *   delta = aggregate - x
 *   m = beta1 m + (1 - beta1) delta
 *   v = secondMoment(v, delta^2)
 *   x = x + eta m / (sqrt(v) + tau)
 * </pre>
 * with {@code m_0 = 0}, {@code v_0 = tau^2} (the paper's {@code v_{-1} >= tau^2}) and no bias correction.
 * Not thread-safe.
 */
public abstract sealed class AdaptiveServerOptimizer extends ServerOptimizer permits FedAdagrad, FedAdam, FedYogi {
  private final ServerOptConfig cfg;

  AdaptiveServerOptimizer(Strategy aggregator, ServerOptConfig cfg) {
    super(aggregator, 2);
    this.cfg = Objects.requireNonNull(cfg, "cfg");
  }

  public ServerOptConfig config() {
    return cfg;
  }

  /** The new second moment from the old one {@code v} and the squared pseudo-gradient {@code d2}. */
  abstract double secondMoment(double v, double d2);

  @Override
  protected float initialState(int slot) {
    return slot == 1 ? (float) (cfg.tau() * cfg.tau()) : 0f;
  }

  @Override
  protected void step(float[] x, float[] y, float[] out, float[][] state) {
    float[] m = state[0];
    float[] v = state[1];
    double b1 = cfg.beta1();
    for (int i = 0; i < x.length; i++) {
      double delta = (double) y[i] - x[i];
      double mi = b1 * m[i] + (1 - b1) * delta;
      double vi = secondMoment(v[i], delta * delta);
      m[i] = (float) mi;
      v[i] = (float) vi;
      out[i] = (float) (x[i] + cfg.eta() * mi / (Math.sqrt(vi) + cfg.tau()));
    }
  }
}
