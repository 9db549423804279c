package dev.starling.strategy;

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
public final class FedAdagrad extends AdaptiveServerOptimizer {
  /** FedAdagrad with {@link ServerOptConfig#defaults()} over example-weighted FedAvg. */
  public FedAdagrad() {
    this(new FedAvg(), ServerOptConfig.defaults());
  }

  public FedAdagrad(Strategy aggregator, ServerOptConfig cfg) {
    super(aggregator, cfg);
  }

  @Override
  double secondMoment(double v, double d2) {
    return v + d2;
  }

  @Override
  protected String describeSelf() {
    return "FedAdagrad(" + config().describe(false) + ")";
  }
}
