package dev.starling.strategy.robust;

import dev.starling.strategy.kernel.Distances;
import dev.starling.strategy.kernel.Rows;

/**
 * Squared Euclidean distances between all pairs of client updates, as Krum, Multi-Krum and Bulyan
 * need them; computed by {@link Distances} (blocked Gram matrix on all cores). Stateless.
 */
final class PairwiseDistances {
  private PairwiseDistances() {}

  /**
   * The symmetric n x n matrix of squared distances between the rows of {@code updates}, with a zero
   * diagonal; tiny negative results of rounding are clamped to 0.
   *
   * @param updates n rows of equal length
   * @param center subtracted from every row before the dot products (e.g. the global model), or null
   */
  static double[][] squared(float[][] updates, float[] center) {
    return Distances.squared(Rows.of(updates), center);
  }

  /** As {@link #squared(float[][], float[])}, on rows read in place. */
  static double[][] squared(Rows updates, float[] center) {
    return Distances.squared(updates, center);
  }
}
