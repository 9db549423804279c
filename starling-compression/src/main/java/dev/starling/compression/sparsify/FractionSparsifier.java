package dev.starling.compression.sparsify;

import dev.starling.compression.Sparsifier;
import dev.starling.core.error.Checks;

/** A sparsifier that keeps a fixed fraction of the coordinates; the kept-count rule both share. Immutable. */
abstract sealed class FractionSparsifier implements Sparsifier permits TopK, RandomK {
  private final double fraction;
  private final String name;

  FractionSparsifier(String name, double fraction) {
    Checks.checkArgument(fraction > 0 && fraction <= 1, "fraction", "in (0, 1]", fraction);
    this.name = name;
    this.fraction = fraction;
  }

  public final double fraction() {
    return fraction;
  }

  @Override
  public final String describe() {
    return name + ":" + fraction;
  }

  /** {@code max(1, ceil(fraction n))}, at most n; 1e-9 of slack so 0.01 * 300 keeps 3, not 4. */
  @Override
  public final int count(int n) {
    if (n == 0) {
      return 0;
    }
    long k = (long) Math.ceil(fraction * n - 1e-9);
    return (int) Math.max(1, Math.min(n, k));
  }
}
