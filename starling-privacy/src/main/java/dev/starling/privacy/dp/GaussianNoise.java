package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;

/**
 * Adds independent {@code N(0, std^2)} noise to float arrays. Production callers pass
 * {@link RandomSource#secure()} (the default of every DP component); seeded sources are for tests and
 * reproducible research runs only, since whoever knows the seed can subtract the noise. Noise is drawn
 * in double precision and added before rounding to float32. (Floating-point side channels of the kind
 * Mironov described for the Laplace mechanism in 2012 are not mitigated.)
 */
public final class GaussianNoise {
  private GaussianNoise() {}

  /** {@code x[i] += std * N(0, 1)} for every i. */
  public static void add(float[] x, double std, RandomSource rng) {
    Checks.checkNonNegative(std, "std");
    if (std == 0) {
      return;
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) (x[i] + std * rng.nextGaussian());
    }
  }

  /** {@code x[i] += std * N(0, 1)} for every i, in double precision. */
  public static void add(double[] x, double std, RandomSource rng) {
    Checks.checkNonNegative(std, "std");
    for (int i = 0; i < x.length; i++) {
      x[i] += std * rng.nextGaussian();
    }
  }
}
