package dev.starling.learners.submodel;

/**
 * Epsilon of T adaptive compositions of the Gaussian mechanism with noise multiplier z (standard deviation
 * z times the L2 sensitivity), by Renyi differential privacy: each release is
 * {@code (alpha, alpha / (2 z^2))}-RDP (Mironov, "Rényi Differential Privacy", CSF 2017, Prop. 7), RDP
 * composes additively, and {@code (alpha, r)}-RDP gives {@code (r + log(1/delta) / (alpha - 1), delta)}-DP
 * (ibid., Prop. 3); minimised over alpha in (1, 10^4] on a fine grid (the optimum
 * {@code alpha* = 1 + z sqrt(2 log(1/delta) / T)} is also tried exactly). Local DP has no sampling
 * amplification, so T is the number of rounds the client took part in. Stateless.
 */
public final class GaussianRdp {
  private GaussianRdp() {}

  public static double epsilon(long releases, double noiseMultiplier, double delta) {
    return epsilon(releases / (noiseMultiplier * noiseMultiplier), delta);
  }

  /**
   * Epsilon after releases with noise multipliers {@code z_i}, given {@code sumInverseSquares} =
   * {@code sum_i 1 / z_i^2} (RDP adds up: {@code alpha sum_i 1 / (2 z_i^2)}).
   */
  public static double epsilon(double sumInverseSquares, double delta) {
    if (sumInverseSquares == 0) {
      return 0;
    }
    double rate = sumInverseSquares / 2;
    double log = Math.log(1 / delta);
    double exact = 1 + Math.sqrt(log / rate);
    double best = rate * exact + log / (exact - 1);
    for (double a = 1.01; a <= 1e4; a *= 1.01) {
      best = Math.min(best, rate * a + log / (a - 1));
    }
    return best;
  }
}
