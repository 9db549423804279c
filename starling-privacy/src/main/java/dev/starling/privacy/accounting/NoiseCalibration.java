package dev.starling.privacy.accounting;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;

/**
 * Solves for the smallest noise multiplier that keeps a planned run within a target epsilon, by
 * bisection on the accountant's (monotone) epsilon. The answer is rounded up to 1e-4 relative
 * precision, so the returned multiplier always meets the target.
 */
public final class NoiseCalibration {
  private NoiseCalibration() {}

  /**
   * The smallest {@code z} (to 1e-4 relative) with {@code accountant.epsilon(q, z, steps, delta) <=
   * targetEpsilon}. Throws {@link FlException} INVALID_ARGUMENT if even {@code z = 1000} does not reach it.
   */
  public static double noiseMultiplier(PrivacyAccountant accountant, double q, long steps, double targetEpsilon,
      double delta) {
    Checks.checkPositive(targetEpsilon, "targetEpsilon");
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    double hi = 1;
    while (accountant.epsilon(q, hi, steps, delta) > targetEpsilon) {
      hi *= 2;
      if (hi > 1000) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, "no noise multiplier up to 1000 reaches epsilon "
            + targetEpsilon + " at delta " + delta + " for q=" + q + ", " + steps + " steps; raise the target or"
            + " lower the sampling rate or steps");
      }
    }
    double lo = hi == 1 ? 0 : hi / 2;
    while (hi - lo > 1e-4 * hi) {
      double mid = 0.5 * (lo + hi);
      if (accountant.epsilon(q, mid, steps, delta) > targetEpsilon) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return hi;
  }
}
