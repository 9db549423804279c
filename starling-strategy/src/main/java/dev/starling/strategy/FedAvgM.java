package dev.starling.strategy;

import dev.starling.core.error.Checks;

/**
 * FedAvgM, federated averaging with server momentum (Hsu, Qi, Brown, "Measuring the Effects of
 * Non-Identical Data Distribution for Federated Visual Classification", arXiv:1909.06335, 2019): with
 * the pseudo-gradient {@code delta = aggregate - x}, per coordinate
 * <pre>
 *   v = beta v + delta
 *   x = x + eta v
 * </pre>
 * starting from {@code v_0 = 0}. With {@code eta = 1, beta = 0} it is the decorated aggregator itself.
 * Defaults: server learning rate {@code eta = 1.0} (Flower's default) and momentum {@code beta = 0.9}
 * (one of the paper's settings).
 *
 * <p>Decorates an aggregator ({@link FedAvg} by default); see {@link ServerOptimizer} for skipped rounds,
 * state and metrics. Not thread-safe.
 */
public final class FedAvgM extends ServerOptimizer {
  private final double eta;
  private final double beta;

  /** FedAvgM with {@code eta = 1.0, beta = 0.9} over example-weighted FedAvg. */
  public FedAvgM() {
    this(new FedAvg(), 1.0, 0.9);
  }

  /**
   * @param aggregator the strategy whose aggregate defines the pseudo-gradient
   * @param eta server learning rate, &gt; 0
   * @param beta server momentum in [0, 1)
   */
  public FedAvgM(Strategy aggregator, double eta, double beta) {
    super(aggregator, 1);
    this.eta = Checks.checkPositive(eta, "eta");
    Checks.checkArgument(beta >= 0 && beta < 1, "beta", "in [0, 1)", beta);
    this.beta = beta;
  }

  public double eta() {
    return eta;
  }

  public double beta() {
    return beta;
  }

  @Override
  protected void step(float[] x, float[] y, float[] out, float[][] state) {
    float[] v = state[0];
    for (int i = 0; i < x.length; i++) {
      double vi = beta * v[i] + ((double) y[i] - x[i]);
      v[i] = (float) vi;
      out[i] = (float) (x[i] + eta * vi);
    }
  }

  @Override
  protected String describeSelf() {
    return "FedAvgM(eta=" + eta + ",beta=" + beta + ")";
  }
}
