package dev.starling.compression.sparsify;

import dev.starling.core.error.Checks;

/** The kept-count rule shared by the sparsifiers. Stateless. */
final class Fractions {
  private Fractions() {}

  static double check(double fraction) {
    Checks.checkArgument(fraction > 0 && fraction <= 1, "fraction", "in (0, 1]", fraction);
    return fraction;
  }

  /** {@code max(1, ceil(fraction n))}, at most n; 1e-9 of slack so 0.01 * 300 keeps 3, not 4. */
  static int count(double fraction, int n) {
    if (n == 0) {
      return 0;
    }
    long k = (long) Math.ceil(fraction * n - 1e-9);
    return (int) Math.max(1, Math.min(n, k));
  }
}
