package dev.starling.strategy.kernel;

/**
 * The FedAvg hot path: {@code sum[j] += w_0 x_0[j]; sum[j] += w_1 x_1[j]; ...} for a few updates at
 * once. Each coordinate receives exactly the float operations of folding the updates one by one, in
 * the same order, so the result is bit-identical to {@link #reference}; fusing them only saves
 * re-reading and re-writing {@code sum} per update. Coordinates are cut into fixed chunks run on
 * {@link Parallel}'s threads; each coordinate is summed by one thread in update order. Stateless.
 */
public final class WeightedFold {
  /** Coordinates per parallel chunk: 64 Ki floats = 256 KiB of {@code sum}. */
  static final int GRAIN = 1 << 16;
  /** The most updates one fused pass reads. */
  public static final int MAX_FUSED = 8;

  private WeightedFold() {}

  /**
   * {@code sum[j] += w[k] * xs[k][j]} for {@code k = 0 .. count-1} in that order, {@code j < sum.length};
   * every {@code xs[k]} has at least {@code sum.length} values.
   */
  public static void fold(float[] sum, float[][] xs, float[] w, int count) {
    int n = sum.length;
    if (count == 0 || n == 0) {
      return;
    }
    Parallel.forEachChunk(n, GRAIN, (c, from, to) -> foldRange(sum, xs, w, count, from, to));
  }

  /** {@link #fold} on coordinates {@code [from, to)} only, on the calling thread. */
  static void foldRange(float[] y, float[][] xs, float[] w, int count, int from, int to) {
    int k = 0;
    for (; k + 8 <= count; k += 8) {
      fold8(y, w[k], xs[k], w[k + 1], xs[k + 1], w[k + 2], xs[k + 2], w[k + 3], xs[k + 3], w[k + 4], xs[k + 4], w[k + 5],
          xs[k + 5], w[k + 6], xs[k + 6], w[k + 7], xs[k + 7], from, to);
    }
    for (; k + 4 <= count; k += 4) {
      fold4(y, w[k], xs[k], w[k + 1], xs[k + 1], w[k + 2], xs[k + 2], w[k + 3], xs[k + 3], from, to);
    }
    for (; k + 2 <= count; k += 2) {
      fold2(y, w[k], xs[k], w[k + 1], xs[k + 1], from, to);
    }
    if (k < count) {
      fold1(y, w[k], xs[k], from, to);
    }
  }

  private static void fold8(float[] y, float w0, float[] x0, float w1, float[] x1, float w2, float[] x2, float w3,
      float[] x3, float w4, float[] x4, float w5, float[] x5, float w6, float[] x6, float w7, float[] x7, int from,
      int to) {
    for (int j = from; j < to; j++) {
      float t = y[j];
      t += w0 * x0[j];
      t += w1 * x1[j];
      t += w2 * x2[j];
      t += w3 * x3[j];
      t += w4 * x4[j];
      t += w5 * x5[j];
      t += w6 * x6[j];
      t += w7 * x7[j];
      y[j] = t;
    }
  }

  private static void fold4(float[] y, float w0, float[] x0, float w1, float[] x1, float w2, float[] x2, float w3,
      float[] x3, int from, int to) {
    for (int j = from; j < to; j++) {
      float t = y[j];
      t += w0 * x0[j];
      t += w1 * x1[j];
      t += w2 * x2[j];
      t += w3 * x3[j];
      y[j] = t;
    }
  }

  private static void fold2(float[] y, float w0, float[] x0, float w1, float[] x1, int from, int to) {
    for (int j = from; j < to; j++) {
      float t = y[j];
      t += w0 * x0[j];
      t += w1 * x1[j];
      y[j] = t;
    }
  }

  private static void fold1(float[] y, float w0, float[] x0, int from, int to) {
    for (int j = from; j < to; j++) {
      y[j] += w0 * x0[j];
    }
  }

  /** {@code out[j] = x[j] * s} for every j, in parallel chunks. */
  public static void scale(float[] x, float s, float[] out) {
    Parallel.forEachChunk(x.length, GRAIN, (c, from, to) -> {
      for (int j = from; j < to; j++) {
        out[j] = x[j] * s;
      }
    });
  }

  /** The readable reference: one update at a time, one thread. */
  public static void reference(float[] sum, float[][] xs, float[] w, int count) {
    for (int k = 0; k < count; k++) {
      float[] x = xs[k];
      float a = w[k];
      for (int j = 0; j < sum.length; j++) {
        sum[j] += a * x[j];
      }
    }
  }
}
