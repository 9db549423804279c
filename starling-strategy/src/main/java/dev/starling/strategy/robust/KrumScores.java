package dev.starling.strategy.robust;

import java.util.Arrays;

/**
 * Krum scores (Blanchard et al., NeurIPS 2017): the score of update i within a set R is the sum of its
 * squared distances to its {@code |R| - f - 2} nearest neighbours in R. On the small sets that Bulyan's
 * last iterations leave, the neighbour count is kept in [1, |R| - 1] (as Flower's Bulyan does).
 * Stateless.
 */
final class KrumScores {
  private KrumScores() {}

  /** Neighbours counted for a set of {@code size} updates of which {@code f} may be faulty. */
  static int neighbours(int size, int f) {
    return Math.max(0, Math.min(size - 1, Math.max(1, size - f - 2)));
  }

  /**
   * The scores of the updates whose indices are {@code members} (in that order), given all pairwise
   * squared distances {@code dist}.
   */
  static double[] scores(double[][] dist, int[] members, int f) {
    int size = members.length;
    int k = neighbours(size, f);
    double[] scores = new double[size];
    double[] others = new double[Math.max(0, size - 1)];
    for (int a = 0; a < size; a++) {
      int o = 0;
      for (int b = 0; b < size; b++) {
        if (b != a) {
          others[o++] = dist[members[a]][members[b]];
        }
      }
      Arrays.sort(others);
      double s = 0;
      for (int j = 0; j < k; j++) {
        s += others[j];
      }
      scores[a] = s;
    }
    return scores;
  }

  /**
   * Positions 0..n-1 ordered by ascending score; equal scores keep their order (lower index first).
   * Boxes n integers once per round, which is negligible beside the distance computation.
   */
  static int[] ranking(double[] scores) {
    int[] order = new int[scores.length];
    Integer[] boxed = new Integer[scores.length];
    for (int i = 0; i < boxed.length; i++) {
      boxed[i] = i;
    }
    Arrays.sort(boxed, (x, y) -> Double.compare(scores[x], scores[y]));
    for (int i = 0; i < order.length; i++) {
      order[i] = boxed[i];
    }
    return order;
  }
}
