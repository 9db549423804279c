package dev.starling.strategy;

import java.util.Objects;

/**
 * FedAdagrad (Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
 * Optimization", ICLR 2021, Algorithm 2): the server runs Adagrad with momentum on the pseudo-gradient
 * {@code delta = aggregate - x}, per coordinate:
 * <pre>
 *   m = beta1 m + (1 - beta1) delta
 *   v = v + delta^2
 *   x = x + eta m / (sqrt(v) + tau)
 * </pre>
 * with {@code m_0 = 0} and {@code v_0 = tau^2} (the paper's {@code v_{-1} >= tau^2}); no bias correction.
 * {@code beta2} of the config is unused. Flower's FedAdagrad uses {@code beta1 = 0} (no momentum).
 *
 * <p>Decorates an aggregator ({@link FedAvg} by default); see {@link ServerOptimizer} for skipped rounds,
 * state and metrics. Not thread-safe.
 */
public final class FedAdagrad extends ServerOptimizer {
  private final ServerOptConfig cfg;

  /** FedAdagrad with {@link ServerOptConfig#defaults()} over example-weighted FedAvg. */
  public FedAdagrad() {
    this(new FedAvg(), ServerOptConfig.defaults());
  }

  public FedAdagrad(Strategy aggregator, ServerOptConfig cfg) {
    super(aggregator, 2);
    this.cfg = Objects.requireNonNull(cfg, "cfg");
  }

  public ServerOptConfig config() {
    return cfg;
  }

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
      double vi = v[i] + delta * delta;
      m[i] = (float) mi;
      v[i] = (float) vi;
      out[i] = (float) (x[i] + cfg.eta() * mi / (Math.sqrt(vi) + cfg.tau()));
    }
  }

  @Override
  protected String describeSelf() {
    return "FedAdagrad(" + cfg.describe(false) + ")";
  }
}
