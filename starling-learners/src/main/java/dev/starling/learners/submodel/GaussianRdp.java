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
    if (releases == 0) {
      return 0;
    }
    double rate = releases / (2 * noiseMultiplier * noiseMultiplier);
    double log = Math.log(1 / delta);
    double best = Double.POSITIVE_INFINITY;
    double exact = 1 + Math.sqrt(log / rate);
    best = Math.min(best, rate * exact + log / (exact - 1));
    for (double a = 1.01; a <= 1e4; a *= 1.01) {
      best = Math.min(best, rate * a + log / (a - 1));
    }
    return best;
  }
}
