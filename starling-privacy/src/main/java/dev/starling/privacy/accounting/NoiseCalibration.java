package dev.starling.privacy.accounting;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;

/**
 * Solves for the smallest noise multiplier that keeps a planned run within a target epsilon, by
 * bisection on the accountant's (monotone) epsilon. The answer is rounded up to 1e-4 relative
 * precision, so the returned multiplier always meets the target.
 *
 * <p>The search is bounded: from z = 1 it doubles up to {@value #MAX_Z} or halves down to {@value #MIN_Z} (at most
 * ten evaluations each way) to bracket the answer within a factor of two, then narrows that bracket to 1e-4
 * relative by the Illinois variant of false position on {@code log epsilon} against {@code log z} (smooth and
 * nearly linear, so typically 3 to 6 evaluations), each step kept a little inside the bracket so that both ends
 * move, and a plain geometric bisection whenever a step fails to halve the bracket. At most
 * {@value #MAX_NARROWING} narrowing evaluations, so about 30 in all whatever the target; the PRV accountant,
 * whose every evaluation runs FFTs of up to 2^22 points, typically needs under 10. An epsilon that is not a
 * number counts as not meeting the target.
 */
public final class NoiseCalibration {
  /** The largest noise multiplier tried. */
  public static final double MAX_Z = 1024;
  /** The smallest noise multiplier tried: below it every target worth stating is exceeded many times over. */
  public static final double MIN_Z = 1.0 / 1024;
  private static final int MAX_NARROWING = 20;
  /** {@code hi - lo <= 1e-4 hi} in log space: {@code log hi - log lo <= -log(1 - 1e-4)}. */
  private static final double LOG_WIDTH = -Math.log1p(-1e-4);

  private NoiseCalibration() {}

  /**
   * The smallest {@code z} (to 1e-4 relative) with {@code accountant.epsilon(q, z, steps, delta) <=
   * targetEpsilon}. Throws {@link FlException} INVALID_ARGUMENT if even {@code z = }{@value #MAX_Z} does not
   * reach it, or if already {@code z = }{@value #MIN_Z} does (the target then constrains nothing: any noise meets it).
   */
  public static double noiseMultiplier(PrivacyAccountant accountant, double q, long steps, double targetEpsilon,
      double delta) {
    Checks.checkPositive(targetEpsilon, "targetEpsilon");
    Checks.checkArgument(Double.isFinite(targetEpsilon), "targetEpsilon", "finite", targetEpsilon);
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    // Bracket: lo misses the target, hi meets it, hi = 2 lo; epsLo and epsHi are their epsilons.
    double lo;
    double hi;
    double epsLo;
    double epsHi;
    double eps1 = accountant.epsilon(q, 1, steps, delta);
    if (eps1 <= targetEpsilon) {
      hi = 1;
      epsHi = eps1;
      lo = 0.5;
      epsLo = accountant.epsilon(q, lo, steps, delta);
      while (epsLo <= targetEpsilon) {
        if (lo <= MIN_Z) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, "target epsilon " + targetEpsilon + " at delta " + delta
              + " is met even by noise multiplier " + MIN_Z + " (epsilon " + epsLo + ") for q=" + q + ", " + steps
              + " steps: it bounds nothing; choose a smaller target");
        }
        hi = lo;
        epsHi = epsLo;
        lo /= 2;
        epsLo = accountant.epsilon(q, lo, steps, delta);
      }
    } else {
      lo = 1;
      epsLo = eps1;
      hi = 2;
      epsHi = accountant.epsilon(q, hi, steps, delta);
      while (!(epsHi <= targetEpsilon)) {
        if (hi >= MAX_Z) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, "no noise multiplier up to " + MAX_Z + " reaches epsilon "
              + targetEpsilon + " at delta " + delta + " for q=" + q + ", " + steps + " steps; raise the target or"
              + " lower the sampling rate or steps");
        }
        lo = hi;
        epsLo = epsHi;
        hi *= 2;
        epsHi = accountant.epsilon(q, hi, steps, delta);
      }
    }
    return narrow(accountant, q, steps, delta, targetEpsilon, lo, epsLo, hi, epsHi);
  }

  /**
   * Narrows {@code [lo, hi]} (lo misses the target, hi meets it) to 1e-4 relative and returns the end that meets
   * it: Illinois false position on {@code g(u) = log epsilon(e^u) - log target}, bisection where g is not finite
   * or the bracket failed to halve over the last two steps.
   */
  private static double narrow(PrivacyAccountant accountant, double q, long steps, double delta, double target,
      double lo, double epsLo, double hi, double epsHi) {
    double logTarget = Math.log(target);
    double uLo = Math.log(lo);
    double uHi = Math.log(hi);
    double gLo = Math.log(epsLo) - logTarget;
    double gHi = Math.log(epsHi) - logTarget;
    int run = 0; // +k: the last k steps all moved hi; -k: all moved lo
    double widthTwoAgo = Double.POSITIVE_INFINITY;
    double widthOneAgo = uHi - uLo;
    for (int i = 0; i < MAX_NARROWING && uHi - uLo > LOG_WIDTH; i++) {
      double c;
      boolean interpolate = Double.isFinite(gLo) && Double.isFinite(gHi) && gLo > gHi
          && uHi - uLo <= 0.5 * widthTwoAgo;
      if (interpolate) {
        c = uHi - gHi * (uHi - uLo) / (gHi - gLo);
        // Keep the step inside the bracket, at least 0.4 of the final width from either end, so the far end moves.
        double margin = Math.min(0.4 * LOG_WIDTH, 0.25 * (uHi - uLo));
        c = Math.min(Math.max(c, uLo + margin), uHi - margin);
      } else {
        c = 0.5 * (uLo + uHi);
      }
      double eps = accountant.epsilon(q, Math.exp(c), steps, delta);
      double g = Math.log(eps) - logTarget;
      if (eps <= target) {
        uHi = c;
        gHi = g;
        run = run > 0 ? run + 1 : 1;
        if (run >= 2) {
          gLo *= 0.5; // Illinois: the stale end's value halves, so the next step lands nearer its side
        }
      } else {
        uLo = c;
        gLo = g;
        run = run < 0 ? run - 1 : -1;
        if (run <= -2) {
          gHi *= 0.5;
        }
      }
      widthTwoAgo = interpolate ? widthOneAgo : Double.POSITIVE_INFINITY;
      widthOneAgo = uHi - uLo;
    }
    return Math.exp(uHi);
  }
}
