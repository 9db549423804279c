package dev.starling.strategy;

import java.util.Objects;

/**
 * FedYogi (Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
 * Optimization", ICLR 2021, Algorithm 2; Yogi from Zaheer et al., NeurIPS 2018): like {@link FedAdam},
 * but the second moment moves additively towards {@code delta^2}, so it grows or shrinks by at most
 * {@code (1 - beta2) delta^2} per round:
 * <pre>
 *   m = beta1 m + (1 - beta1) delta
 *   v = v - (1 - beta2) delta^2 sign(v - delta^2)
 *   x = x + eta m / (sqrt(v) + tau)
 * </pre>
 * with {@code delta = aggregate - x}, {@code m_0 = 0}, {@code v_0 = tau^2} (the paper's
 * {@code v_{-1} >= tau^2}) and no bias correction.
 *
 * <p>Decorates an aggregator ({@link FedAvg} by default); see {@link ServerOptimizer} for skipped rounds,
 * state and metrics. Not thread-safe.
 */
public final class FedYogi extends ServerOptimizer {
  private final ServerOptConfig cfg;

  /** FedYogi with {@link ServerOptConfig#defaults()} over example-weighted FedAvg. */
  public FedYogi() {
    this(new FedAvg(), ServerOptConfig.defaults());
  }

  public FedYogi(Strategy aggregator, ServerOptConfig cfg) {
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
    double b2 = cfg.beta2();
    for (int i = 0; i < x.length; i++) {
      double delta = (double) y[i] - x[i];
      double d2 = delta * delta;
      double mi = b1 * m[i] + (1 - b1) * delta;
      double vi = v[i] - (1 - b2) * d2 * Math.signum(v[i] - d2);
      m[i] = (float) mi;
      v[i] = (float) vi;
      out[i] = (float) (x[i] + cfg.eta() * mi / (Math.sqrt(vi) + cfg.tau()));
    }
  }

  @Override
  protected String describeSelf() {
    return "FedYogi(" + cfg.describe(true) + ")";
  }
}
