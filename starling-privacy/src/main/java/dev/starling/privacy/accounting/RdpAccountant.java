package dev.starling.privacy.accounting;

import dev.starling.core.error.Checks;
import java.util.ArrayList;
import java.util.List;

/**
 * The Renyi-DP ("moments") accountant: RDP of the sampled Gaussian mechanism
 * ({@link SampledGaussianRdp}) over a fixed list of orders, composed additively over steps (Mironov 2017,
 * Proposition 1), and converted to (epsilon, delta) with the conversion of Balle, Barthe, Gaboardi,
 * Hsu, Sato ("Hypothesis Testing Interpretations and Renyi Differential Privacy", 2020, Theorem 21):
 * <pre>
 *   epsilon = min_alpha  rdp(alpha) + log((alpha - 1) / alpha) - (log delta + log alpha) / (alpha - 1)
 * </pre>
 * This is the conversion TensorFlow Privacy's dp_accounting and Opacus use, and the default orders are
 * Opacus's ({@code 1.1, 1.2, ..., 10.9, 12, ..., 63}) plus {@code 128, 256, 512}, so results agree
 * with theirs (see the tests for the published values and tolerances). Thread-safe.
 */
public final class RdpAccountant implements PrivacyAccountant {
  /** The default orders. */
  public static final List<Double> DEFAULT_ORDERS;

  static {
    List<Double> o = new ArrayList<>();
    for (int x = 1; x < 100; x++) {
      o.add(1 + x / 10.0);
    }
    for (int a = 12; a < 64; a++) {
      o.add((double) a);
    }
    o.add(128.0);
    o.add(256.0);
    o.add(512.0);
    DEFAULT_ORDERS = List.copyOf(o);
  }

  private final double[] orders;

  /** An accountant over the default orders. */
  public RdpAccountant() {
    this(DEFAULT_ORDERS);
  }

  /** An accountant over the given orders (each > 1). */
  public RdpAccountant(List<Double> orders) {
    Checks.checkArgument(!orders.isEmpty(), "orders", "non-empty", orders);
    this.orders = orders.stream().mapToDouble(Double::doubleValue).toArray();
    for (double a : this.orders) {
      Checks.checkArgument(a > 1, "every order", "> 1", a);
    }
  }

  /** The RDP of {@code steps} compositions at each order. */
  public double[] rdp(double q, double z, long steps) {
    checkInputs(q, z, steps);
    double[] r = new double[orders.length];
    for (int i = 0; i < orders.length; i++) {
      r[i] = steps == 0 ? 0 : SampledGaussianRdp.rdp(q, z, orders[i]) * steps;
    }
    return r;
  }

  @Override
  public double epsilon(double q, double z, long steps, double delta) {
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    if (q == 0 || steps == 0) {
      return 0;
    }
    return epsilonFromRdp(orders, rdp(q, z, steps), delta);
  }

  @Override
  public double delta(double q, double z, long steps, double epsilon) {
    Checks.checkNonNegative(epsilon, "epsilon");
    if (q == 0 || steps == 0) {
      return 0;
    }
    return deltaFromRdp(orders, rdp(q, z, steps), epsilon);
  }

  @Override
  public String name() {
    return "rdp";
  }

  /** The conversion of the class comment, minimised over {@code orders}; never negative. */
  public static double epsilonFromRdp(double[] orders, double[] rdp, double delta) {
    double logDelta = Math.log(delta);
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      if (Double.isInfinite(rdp[i])) {
        continue;
      }
      double eps = rdp[i] + Math.log1p(-1 / a) - (logDelta + Math.log(a)) / (a - 1);
      best = Math.min(best, eps);
    }
    return Math.max(0, best);
  }

  /**
   * The original conversion of Mironov 2017 (Proposition 3), {@code min_alpha rdp(alpha) - log(delta) /
   * (alpha - 1)}: looser than {@link #epsilonFromRdp}, kept to compare with values published with it
   * (TensorFlow Privacy before 2020).
   */
  public static double epsilonFromRdpClassic(double[] orders, double[] rdp, double delta) {
    double best = Double.POSITIVE_INFINITY;
    for (int i = 0; i < orders.length; i++) {
      best = Math.min(best, rdp[i] - Math.log(delta) / (orders[i] - 1));
    }
    return Math.max(0, best);
  }

  /** The orders as an array. */
  public double[] orders() {
    return orders.clone();
  }

  /** The inverse conversion: the smallest delta certified at {@code epsilon}, capped at 1. */
  public static double deltaFromRdp(double[] orders, double[] rdp, double epsilon) {
    double best = 0;
    boolean any = false;
    double logBest = Double.POSITIVE_INFINITY;
    for (int i = 0; i < orders.length; i++) {
      double a = orders[i];
      if (Double.isInfinite(rdp[i])) {
        continue;
      }
      double logDelta = (a - 1) * (rdp[i] - epsilon + Math.log1p(-1 / a)) - Math.log(a);
      logBest = Math.min(logBest, logDelta);
      any = true;
    }
    best = any ? Math.min(1, Math.exp(logBest)) : 1;
    return best;
  }

  static void checkInputs(double q, double z, long steps) {
    Checks.checkProbability(q, "samplingRate");
    Checks.checkArgument(z >= 0 && Double.isFinite(z), "noiseMultiplier", ">= 0 and finite", z);
    Checks.checkArgument(steps >= 0, "steps", ">= 0", steps);
  }
}
