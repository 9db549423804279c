package dev.starling.strategy;

/**
 * FedAdam (Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
 * Optimization", ICLR 2021, Algorithm 2): the server runs Adam on the pseudo-gradient
 * {@code delta = aggregate - x}, per coordinate:
 * <pre>
 *   m = beta1 m + (1 - beta1) delta
 *   v = beta2 v + (1 - beta2) delta^2
 *   x = x + eta m / (sqrt(v) + tau)
 * </pre>
 * with {@code m_0 = 0} and {@code v_0 = tau^2} (the paper's {@code v_{-1} >= tau^2}). As in the paper's
 * Algorithm 2 there is no bias correction (Flower's newer FedAdam adds one; this class does not).
 *
 * <p>Decorates an aggregator ({@link FedAvg} by default); see {@link ServerOptimizer} for skipped rounds,
 * state and metrics. Not thread-safe.
 */
public final class FedAdam extends AdaptiveServerOptimizer {
  /** FedAdam with {@link ServerOptConfig#defaults()} over example-weighted FedAvg. */
  public FedAdam() {
    this(new FedAvg(), ServerOptConfig.defaults());
  }

  public FedAdam(Strategy aggregator, ServerOptConfig cfg) {
    super(aggregator, cfg);
  }

  @Override
  double secondMoment(double v, double d2) {
    return config().beta2() * v + (1 - config().beta2()) * d2;
  }

  @Override
  protected String describeSelf() {
    return "FedAdam(" + config().describe(true) + ")";
  }
}
