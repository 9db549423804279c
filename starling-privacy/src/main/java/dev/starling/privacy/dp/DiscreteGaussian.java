package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import java.math.BigInteger;

/**
 * Exact sampler of the discrete Gaussian {@code N_Z(0, sigma^2)}: {@code P[X = x] = exp(-x^2 / (2 sigma^2)) / Z}
 * over the integers, by Canonne, Kamath and Steinke, "The Discrete Gaussian for Differential Privacy"
 * (NeurIPS 2020), Algorithm 1 (Bernoulli({@code exp(-gamma)}) for rational gamma), Algorithm 2 (discrete
 * Laplace) and Algorithm 3 (discrete Gaussian by rejection from the discrete Laplace with scale
 * {@code t = floor(sigma) + 1}).
 *
 * <p>Every step uses integer arithmetic only: the {@code double} sigma is read as the exact rational
 * {@code M 2^E} (its binary value), and {@code sigma^2 = M^2 4^E} is rounded up to the next multiple of a
 * power of two with 32 significant bits (so the variance sampled is {@code sigma^2} times at most
 * {@code 1 + 2^-31}, never less); uniform integers
 * come from {@link RandomSource#nextLong(long)} (unbiased) or, for a ratio of wide integers, by comparing random words with its binary expansion, and no
 * floating-point operation decides an outcome. The output distribution is therefore exactly the discrete
 * Gaussian of that variance, given an ideal uniform source. This is the construction Google's
 * differential-privacy libraries and OpenDP use in place of floating-point Gaussians, which leak through
 * the gaps in their support (Mironov 2012). Immutable and thread-safe; the {@link RandomSource} is not.
 */
public final class DiscreteGaussian {
  private static final BigInteger TWO = BigInteger.TWO;
  private static final int SIGNIFICANT_BITS = 32;
  private final double sigma;
  /** sigma^2 = num / den exactly. */
  private final BigInteger num;
  private final BigInteger den;
  /** The discrete Laplace scale of the proposal, floor(sigma) + 1. */
  private final long t;
  /** 2 num den t^2: the denominator of the acceptance exponent. */
  private final BigInteger acceptDen;
  private final BigInteger denT;

  public DiscreteGaussian(double sigma) {
    Checks.checkArgument(sigma > 0 && sigma < 0x1p60, "sigma", "in (0, 2^60)", sigma);
    this.sigma = sigma;
    long bits = Double.doubleToRawLongBits(sigma);
    int exp = (int) ((bits >>> 52) & 0x7FF);
    long mantissa = bits & ((1L << 52) - 1);
    int e;
    if (exp == 0) {
      e = -1074; // subnormal
    } else {
      mantissa |= 1L << 52;
      e = exp - 1075;
    }
    BigInteger m2 = BigInteger.valueOf(mantissa).pow(2);
    BigInteger exactNum = e >= 0 ? m2.shiftLeft(2 * e) : m2;
    BigInteger exactDen = e >= 0 ? BigInteger.ONE : BigInteger.ONE.shiftLeft(-2 * e);
    // round sigma^2 up to SIGNIFICANT_BITS bits (a multiple of 2^-m): never less noise, at most 2^-31 more
    // variance, and integers of a few words in the acceptance test
    int m = Math.max(0, SIGNIFICANT_BITS - 1 - Math.getExponent(sigma * sigma));
    den = BigInteger.ONE.shiftLeft(m);
    BigInteger[] qr = exactNum.shiftLeft(m).divideAndRemainder(exactDen);
    num = qr[1].signum() == 0 ? qr[0] : qr[0].add(BigInteger.ONE);
    this.t = (long) Math.floor(sigma) + 1;
    BigInteger bt = BigInteger.valueOf(t);
    this.acceptDen = TWO.multiply(num).multiply(den).multiply(bt).multiply(bt);
    this.denT = den.multiply(bt);
  }

  /** The sigma this sampler was built for. */
  public double sigma() {
    return sigma;
  }

  /** One draw of {@code N_Z(0, sigma^2)} (CKS20, Algorithm 3). */
  public long sample(RandomSource rng) {
    while (true) {
      long y = discreteLaplace(rng);
      // accept with probability exp(-(|y| - sigma^2/t)^2 / (2 sigma^2)) = exp(-(|y| den t - num)^2 / (2 num den t^2))
      BigInteger diff = BigInteger.valueOf(Math.abs(y)).multiply(denT).subtract(num);
      if (bernoulliExp(diff.multiply(diff), acceptDen, rng)) {
        return y;
      }
    }
  }

  /** Discrete Laplace with scale t: P[Y = y] proportional to exp(-|y| / t) (CKS20, Algorithm 2). */
  private long discreteLaplace(RandomSource rng) {
    while (true) {
      long u = rng.nextLong(t);
      if (!bernoulliExpFraction(u, t, rng)) {
        continue;
      }
      long v = 0;
      while (bernoulliExpFraction(1, 1, rng)) {
        v++;
      }
      boolean negative = rng.nextLong(2) == 1;
      if (negative && u == 0 && v == 0) {
        continue;
      }
      long magnitude = u + t * v;
      return negative ? -magnitude : magnitude;
    }
  }

  /** Bernoulli(exp(-a/b)) for {@code 0 <= a <= b}, b > 0, in longs (CKS20, Algorithm 1, gamma in [0, 1]). */
  private static boolean bernoulliExpFraction(long a, long b, RandomSource rng) {
    long k = 1;
    while (true) {
      if (k > Long.MAX_VALUE / b) {
        return bernoulliExpFraction(BigInteger.valueOf(a), BigInteger.valueOf(b), k, rng);
      }
      if (rng.nextLong(b * k) >= a) {
        return (k & 1) == 1;
      }
      k++;
    }
  }

  /** As above from K = {@code k} when b K no longer fits a long: Bernoulli(a / (b K)) as Bernoulli(a / b) and Bernoulli(1 / K). */
  private static boolean bernoulliExpFraction(BigInteger a, BigInteger b, long k, RandomSource rng) {
    while (a.signum() > 0 && bernoulliRatio(a, b, rng) && rng.nextLong(k) == 0) {
      k++;
    }
    return (k & 1) == 1;
  }

  /** Bernoulli(exp(-a/b)) for {@code a >= 0, b > 0} (CKS20, Algorithm 1). */
  static boolean bernoulliExp(BigInteger a, BigInteger b, RandomSource rng) {
    BigInteger[] qr = a.divideAndRemainder(b);
    // exp(-gamma) = exp(-1)^floor(gamma) * exp(-frac(gamma)); stop at the first failure
    long whole = qr[0].bitLength() > 62 ? Long.MAX_VALUE : qr[0].longValue();
    for (long i = 0; i < whole; i++) {
      if (!bernoulliExpFraction(1, 1, rng)) {
        return false;
      }
    }
    BigInteger frac = qr[1];
    if (frac.signum() == 0) {
      return true;
    }
    if (b.bitLength() < 58) {
      return bernoulliExpFraction(frac.longValueExact(), b.longValueExact(), rng);
    }
    // Algorithm 1 for gamma = frac / b in (0, 1): K = 1, 2, ... while Bernoulli(gamma / K) succeeds, and
    // Bernoulli(gamma / K) = Bernoulli(gamma) and Bernoulli(1 / K), independently
    long k = 1;
    while (bernoulliRatio(frac, b, rng) && (k == 1 || rng.nextLong(k) == 0)) {
      k++;
    }
    return (k & 1) == 1;
  }

  /**
   * Bernoulli(a / b) for {@code 0 < a < b}: compares a uniform binary fraction with the expansion of a / b,
   * 62 bits at a time, so only a tie (probability 2^-62 per word) needs the next word.
   */
  private static boolean bernoulliRatio(BigInteger a, BigInteger b, RandomSource rng) {
    BigInteger rem = a;
    while (true) {
      BigInteger[] qr = rem.shiftLeft(62).divideAndRemainder(b);
      long digits = qr[0].longValue();
      long r = rng.nextLong() >>> 2;
      if (r != digits) {
        return r < digits;
      }
      rem = qr[1];
      if (rem.signum() == 0) {
        return false; // the uniform fraction so far equals a / b exactly, and any further bit makes it larger
      }
    }
  }
}
