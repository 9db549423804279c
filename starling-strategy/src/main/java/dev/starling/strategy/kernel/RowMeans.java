package dev.starling.strategy.kernel;

/**
 * The uniform mean of chosen rows, summed per coordinate in double in the order the rows are given, then
 * rounded to float. Coordinates are cut into fixed chunks run on {@link Parallel}'s threads, each
 * coordinate summed by one thread, so the result equals {@link #reference} bit for bit. Stateless.
 */
public final class RowMeans {
  static final int GRAIN = 1 << 14;

  private RowMeans() {}

  /** Per coordinate, {@code (float) (sum over r of rows[which[r]]) / which.length}. */
  public static float[] mean(Rows rows, int[] which) {
    int d = rows.length();
    float[] out = new float[d];
    int m = which.length;
    Parallel.forEachChunk(d, GRAIN, (c, from, to) -> {
      int len = to - from;
      double[] sum = new double[len];
      float[] tmp = new float[len];
      int off = rows.offsetIn(from);
      for (int i : which) {
        float[] src = rows.arrayHolding(i, from, len);
        if (src == null) {
          rows.copy(i, from, tmp, 0, len);
          add(tmp, 0, sum, len);
        } else {
          add(src, off, sum, len);
        }
      }
      for (int j = 0; j < len; j++) {
        out[from + j] = (float) (sum[j] / m);
      }
    });
    return out;
  }

  /** {@code sum[j] += x[off + j]}: float[] and double[] cannot alias, so C2 vectorises it. */
  private static void add(float[] x, int off, double[] sum, int len) {
    for (int j = 0; j < len; j++) {
      sum[j] += x[off + j];
    }
  }

  /** The readable reference: one row at a time over all coordinates, one thread. */
  public static float[] reference(float[][] rows, int[] which) {
    double[] sum = new double[rows[0].length];
    for (int i : which) {
      for (int j = 0; j < sum.length; j++) {
        sum[j] += rows[i][j];
      }
    }
    float[] out = new float[sum.length];
    for (int j = 0; j < out.length; j++) {
      out[j] = (float) (sum[j] / which.length);
    }
    return out;
  }
}
