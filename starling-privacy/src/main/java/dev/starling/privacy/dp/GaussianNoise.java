package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;

/**
 * The one Gaussian noise mechanism of Starling's DP: every place that adds DP noise (central DP, local DP,
 * central DP under secure aggregation, adaptive clipping's count, DP-SGD, sub-model local DP) builds one of
 * these for its release and passes it the values and a {@link RandomSource}.
 *
 * <p>Values are put on a grid and the noise is a discrete Gaussian ({@link DiscreteGaussian}, exact integer
 * sampling) instead of floating-point {@code nextGaussian()}. For a release of L2 sensitivity {@code C}
 * (the clip norm), noise multiplier z and dimension d, the grid is {@code gamma = min(1, z) C 2^-20}
 * ({@link #GRID_BITS}: a millionth of the clip norm, or of the noise standard deviation {@code z C} when
 * that is smaller); each value becomes {@code gamma (round(x / gamma) + Y)} with
 * {@code Y ~ N_Z(0, s^2)} and {@code s = z (C / gamma + 2 sqrt(d))} grid units. In real units the noise has
 * standard deviation {@code z C (1 + 2 sqrt(d) min(1, z) 2^-20)}: at most 0.2% above {@code z C} for a
 * million coordinates, and the rounding error ({@code gamma / 2}) is at most a millionth of the noise.
 *
 * <p>Privacy accounting: rounding each coordinate to the nearest grid point moves the query by at most
 * {@code sqrt(d) / 2} grid units on each of two neighbouring inputs (floating-point error in the division
 * stays below another {@code sqrt(d) / 2} for values under {@code 2^50} grid units), so the rounded query has
 * L2 sensitivity at most {@code C / gamma + 2 sqrt(d)} grid units, and {@code s} is z times that bound. By
 * Canonne, Kamath and Steinke (NeurIPS 2020, Theorem 4, and its extension to independent noise on several coordinates in the same paper) adding
 * independent {@code N_Z(0, s^2)} to an integer query of L2 sensitivity {@code Delta} is
 * {@code (Delta^2 / (2 s^2))}-concentrated DP, i.e. {@code (alpha, alpha Delta^2 / (2 s^2))}-RDP for every
 * alpha: the bound of the continuous Gaussian with the same sigma, so the accountants' noise multiplier z
 * stays valid. Scaling by gamma and rounding to float32 afterwards are post-processing. This covers the
 * releases accounted without sampling (local DP, sub-model local DP). Subsampled releases (central DP with
 * q &lt; 1, DP-SGD) are accounted with the sampled-Gaussian analysis of the continuous mechanism (Mironov,
 * Talwar and Zhang 2019); at integer orders the moment it bounds is the same for the discrete Gaussian
 * (shifting {@code N_Z(0, s^2)} by an integer vector leaves its normalising sum unchanged), but no separate
 * proof for the discrete case is claimed here.
 *
 * <p>Noise source: {@link #source(boolean, long, long...)} is the one {@code secure | seeded} policy
 * ({@code --dp-noise}); {@link RandomSource#secure()} in production, a seeded stream only for reproducible
 * research runs (whoever knows the seed can subtract the noise). Immutable; thread-safe given a
 * thread-confined {@link RandomSource}.
 */
public final class GaussianNoise {
  /** The grid is {@code min(1, noiseMultiplier) * sensitivity * 2^-GRID_BITS}. */
  public static final int GRID_BITS = 20;
  private static final GaussianNoise NONE = new GaussianNoise(0, 0, null);

  private final double gamma;
  private final double std;
  private final DiscreteGaussian sampler;

  private GaussianNoise(double gamma, double std, DiscreteGaussian sampler) {
    this.gamma = gamma;
    this.std = std;
    this.sampler = sampler;
  }

  /**
   * The mechanism for one release of {@code dimension} values whose L2 sensitivity is {@code sensitivity},
   * with noise multiplier {@code noiseMultiplier} (0 = no noise, values pass unchanged).
   */
  public static GaussianNoise of(double sensitivity, double noiseMultiplier, long dimension) {
    Checks.checkPositive(sensitivity, "sensitivity");
    Checks.checkNonNegative(noiseMultiplier, "noiseMultiplier");
    Checks.checkPositive(dimension, "dimension");
    if (noiseMultiplier == 0) {
      return NONE;
    }
    double gamma = Math.scalb(Math.min(1, noiseMultiplier) * sensitivity, -GRID_BITS);
    double s = noiseMultiplier * (sensitivity / gamma + 2 * Math.sqrt(dimension));
    return new GaussianNoise(gamma, gamma * s, new DiscreteGaussian(s));
  }

  /**
   * The noise source of the {@code secure | seeded} policy: {@link RandomSource#secure()}, or the stream
   * {@code RandomSource.seeded(seed).derive(keys)} when {@code seeded}.
   */
  public static RandomSource source(boolean seeded, long seed, long... keys) {
    return seeded ? RandomSource.seeded(seed).derive(keys) : RandomSource.secure();
  }

  /** The grid spacing gamma (0 without noise). */
  public double grid() {
    return gamma;
  }

  /** The noise standard deviation in the values' units (0 without noise). */
  public double std() {
    return std;
  }

  /** {@code x[i] = gamma (round(x[i] / gamma) + Y_i)}, Y_i independent discrete Gaussians. */
  public void addTo(double[] x, RandomSource rng) {
    if (sampler == null) {
      return;
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = noisy(x[i], rng);
    }
  }

  /** As {@link #addTo(double[], RandomSource)}, computed in double and rounded to float32 once. */
  public void addTo(float[] x, RandomSource rng) {
    if (sampler == null) {
      return;
    }
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) noisy(x[i], rng);
    }
  }

  private double noisy(double v, RandomSource rng) {
    return gamma * (Math.rint(v / gamma) + sampler.sample(rng));
  }
}
