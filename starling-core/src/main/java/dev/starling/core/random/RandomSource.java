package dev.starling.core.random;

import dev.starling.core.error.Checks;
import java.security.SecureRandom;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * The only source of randomness in Starling: every random choice takes one, so a seeded run
 * reproduces bit-for-bit.
 *
 * <p>A seeded source is a SplitMix64 stream ({@link SplittableRandom}); {@link #derive(long...)}
 * gives an independent child stream for a key path such as (round, client), so results do not depend
 * on which thread asks first. {@link #secure()} wraps {@link SecureRandom} for privacy mechanisms.
 *
 * <p>Instances are not thread-safe; derive one per thread or per task.
 */
public final class RandomSource {
  private static final long GOLDEN = 0x9E3779B97F4A7C15L;

  private final RandomGenerator gen;
  private final long seed;
  private final boolean secure;

  private RandomSource(RandomGenerator gen, long seed, boolean secure) {
    this.gen = gen;
    this.seed = seed;
    this.secure = secure;
  }

  /** A deterministic source for {@code seed}. */
  public static RandomSource seeded(long seed) {
    return new RandomSource(new SplittableRandom(seed), seed, false);
  }

  /** A cryptographically secure, non-reproducible source. */
  public static RandomSource secure() {
    return new RandomSource(new SecureRandom(), 0, true);
  }

  /**
   * An independent deterministic child stream identified by {@code keys}; the same seed and keys always
   * give the same stream, whatever was drawn from this source before. A secure source derives secure
   * children.
   */
  public RandomSource derive(long... keys) {
    if (secure) {
      return secure();
    }
    long h = mix(seed ^ GOLDEN);
    for (long k : keys) {
      h = mix(h + GOLDEN * (k + 1));
    }
    return seeded(h);
  }

  /** The seed this source was created with (0 for secure sources). */
  public long seed() {
    return seed;
  }

  public boolean isSecure() {
    return secure;
  }

  public int nextInt(int bound) {
    return gen.nextInt(bound);
  }

  public long nextLong() {
    return gen.nextLong();
  }

  /** Uniform in [0, bound), without modulo bias. */
  public long nextLong(long bound) {
    return gen.nextLong(bound);
  }

  /** Uniform in [0, 1). */
  public double nextDouble() {
    return gen.nextDouble();
  }

  public float nextFloat() {
    return gen.nextFloat();
  }

  public double nextGaussian() {
    return gen.nextGaussian();
  }

  /** Gamma(shape, 1) by Marsaglia and Tsang (2000), with the boost for shape below 1. */
  public double nextGamma(double shape) {
    Checks.checkPositive(shape, "shape");
    if (shape < 1) {
      double u = gen.nextDouble();
      return nextGamma(shape + 1) * Math.pow(u, 1 / shape);
    }
    double d = shape - 1.0 / 3;
    double c = 1 / Math.sqrt(9 * d);
    while (true) {
      double x = gen.nextGaussian();
      double v = 1 + c * x;
      if (v <= 0) {
        continue;
      }
      v = v * v * v;
      double u = gen.nextDouble();
      if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
        return d * v;
      }
    }
  }

  /** A sample of Dirichlet(alpha, ..., alpha) of dimension {@code k}. */
  public double[] nextDirichlet(double alpha, int k) {
    double[] p = new double[k];
    double sum = 0;
    for (int i = 0; i < k; i++) {
      p[i] = nextGamma(alpha);
      sum += p[i];
    }
    if (sum == 0) {
      p[nextInt(k)] = 1;
      return p;
    }
    for (int i = 0; i < k; i++) {
      p[i] /= sum;
    }
    return p;
  }

  /** Fisher-Yates shuffle in place. */
  public void shuffle(int[] a) {
    for (int i = a.length - 1; i > 0; i--) {
      int j = gen.nextInt(i + 1);
      int t = a[i];
      a[i] = a[j];
      a[j] = t;
    }
  }

  /** A random permutation of 0..n-1. */
  public int[] permutation(int n) {
    int[] a = new int[n];
    for (int i = 0; i < n; i++) {
      a[i] = i;
    }
    shuffle(a);
    return a;
  }

  private static long mix(long z) {
    z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
    z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
    return z ^ (z >>> 31);
  }
}
