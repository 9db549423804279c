package dev.starling.privacy.accounting;

import dev.starling.core.error.Checks;
import org.apache.commons.numbers.gamma.Erfcx;
import org.apache.commons.numbers.gamma.LogGamma;

/**
 * Renyi differential privacy of one step of the Poisson-subsampled Gaussian mechanism (Mironov, Talwar,
 * Zhang, "Renyi Differential Privacy of the Sampled Gaussian Mechanism", 2019), sensitivity 1, noise
 * standard deviation {@code sigma}, sampling rate {@code q}.
 *
 * <p>With {@code mu0 = N(0, sigma^2)} and {@code mu = (1 - q) mu0 + q N(1, sigma^2)}, the RDP of order
 * {@code alpha} is {@code log(A_alpha) / (alpha - 1)} with {@code A_alpha = E_{mu0}[(mu / mu0)^alpha]}.
 * For integer alpha, {@code A_alpha} is the finite binomial sum of section 3.3 of the paper; for
 * fractional alpha it is the paper's two convergent series with Gaussian tail integrals, summed until
 * terms fall below {@code e^-30} of the running total. All sums run in log space.
 */
public final class SampledGaussianRdp {
  private SampledGaussianRdp() {}

  /** RDP of order {@code alpha > 1} of one step. */
  public static double rdp(double q, double sigma, double alpha) {
    Checks.checkProbability(q, "samplingRate");
    Checks.checkArgument(sigma >= 0, "noiseMultiplier", ">= 0", sigma);
    Checks.checkArgument(alpha > 1, "order", "> 1", alpha);
    if (q == 0) {
      return 0;
    }
    if (sigma == 0 || Double.isInfinite(alpha)) {
      return Double.POSITIVE_INFINITY;
    }
    if (q == 1) {
      return alpha / (2 * sigma * sigma);
    }
    return logA(q, sigma, alpha) / (alpha - 1);
  }

  /** {@code log A_alpha} for {@code 0 < q < 1}. */
  static double logA(double q, double sigma, double alpha) {
    if (alpha == Math.rint(alpha) && alpha < 1e6) {
      return logAInteger(q, sigma, (int) alpha);
    }
    return logAFractional(q, sigma, alpha);
  }

  private static double logAInteger(double q, double sigma, int alpha) {
    double acc = Double.NEGATIVE_INFINITY;
    double lq = Math.log(q);
    double l1q = Math.log1p(-q);
    double lgA = LogGamma.value(alpha + 1.0);
    for (int i = 0; i <= alpha; i++) {
      double logBinom = lgA - LogGamma.value(i + 1.0) - LogGamma.value(alpha - i + 1.0);
      double term = logBinom + i * lq + (alpha - i) * l1q + (i * (double) i - i) / (2 * sigma * sigma);
      acc = logAdd(acc, term);
    }
    return acc;
  }

  private static double logAFractional(double q, double sigma, double alpha) {
    double s2 = sigma * sigma;
    double a0 = Double.NEGATIVE_INFINITY;
    double a1 = Double.NEGATIVE_INFINITY;
    double z0 = s2 * Math.log(1 / q - 1) + 0.5;
    double lq = Math.log(q);
    double l1q = Math.log1p(-q);
    double logCoef = 0; // log |binom(alpha, i)|
    boolean positive = true;
    double sqrt2Sigma = Math.sqrt(2) * sigma;
    for (int i = 0; ; i++) {
      if (i > 0) {
        double f = (alpha - (i - 1)) / i;
        if (f == 0) {
          break;
        }
        logCoef += Math.log(Math.abs(f));
        if (f < 0) {
          positive = !positive;
        }
      }
      double j = alpha - i;
      double t0 = logCoef + i * lq + j * l1q;
      double t1 = logCoef + j * lq + i * l1q;
      double e0 = Math.log(0.5) + logErfc((i - z0) / sqrt2Sigma);
      double e1 = Math.log(0.5) + logErfc((z0 - j) / sqrt2Sigma);
      double s0 = t0 + (i * (double) i - i) / (2 * s2) + e0;
      double s1 = t1 + (j * j - j) / (2 * s2) + e1;
      if (positive) {
        a0 = logAdd(a0, s0);
        a1 = logAdd(a1, s1);
      } else {
        a0 = logSub(a0, s0);
        a1 = logSub(a1, s1);
      }
      if (Math.max(s0, s1) < -30 && i > alpha) {
        break;
      }
      if (i > 100_000) {
        throw new ArithmeticException("RDP series for alpha=" + alpha + ", sigma=" + sigma + ", q=" + q + " did not converge");
      }
    }
    return logAdd(a0, a1);
  }

  /** {@code log(erfc(x))}, accurate in both tails (via the scaled complementary error function for x > 0). */
  static double logErfc(double x) {
    if (x <= 0) {
      return Math.log(org.apache.commons.numbers.gamma.Erfc.value(x));
    }
    return Math.log(Erfcx.value(x)) - x * x;
  }

  static double logAdd(double a, double b) {
    double hi = Math.max(a, b);
    double lo = Math.min(a, b);
    if (hi == Double.NEGATIVE_INFINITY) {
      return hi;
    }
    return hi + Math.log1p(Math.exp(lo - hi));
  }

  /** {@code log(e^a - e^b)} for {@code a >= b}; -inf when they are equal. */
  static double logSub(double a, double b) {
    if (b == Double.NEGATIVE_INFINITY) {
      return a;
    }
    if (a <= b) {
      // Rounding in the alternating series; the true value is tiny.
      return Double.NEGATIVE_INFINITY;
    }
    return a + Math.log(-Math.expm1(b - a));
  }
}
