package dev.starling.strategy;

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
public final class FedYogi extends AdaptiveServerOptimizer {
  /** FedYogi with {@link ServerOptConfig#defaults()} over example-weighted FedAvg. */
  public FedYogi() {
    this(new FedAvg(), ServerOptConfig.defaults());
  }

  public FedYogi(Strategy aggregator, ServerOptConfig cfg) {
    super(aggregator, cfg);
  }

  @Override
  double secondMoment(double v, double d2) {
    return v - (1 - config().beta2()) * d2 * Math.signum(v - d2);
  }

  @Override
  protected String describeSelf() {
    return "FedYogi(" + config().describe(true) + ")";
  }
}
