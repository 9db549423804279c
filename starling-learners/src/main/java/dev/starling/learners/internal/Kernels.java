package dev.starling.learners.internal;

/**
 * Allocation-free numeric kernels on primitive float rows.
 *
 * <p>Every vector loop indexes all its arrays at the same offset (rows are separate arrays), so C2's
 * superword pass vectorises it even though it cannot prove the arrays distinct; a loop mixing two
 * offsets into possibly aliased arrays stayed scalar (about 5x slower) when measured on JDK 25. Float
 * reductions (dot products) do not vectorise because Java fixes their order, so products with a
 * transposed operand are computed as sums of scaled rows instead.
 */
public final class Kernels {
  private Kernels() {}

  /**
   * {@code y[r] += sum_k c[c0 + r][k] * x[k]} over rows {@code r < rows} and {@code k < kdim}, rows of
   * length {@code len}. {@code k} is blocked so the block of {@code x} rows stays in L1 while every
   * {@code y} row consumes it. {@code idx} and {@code val} are scratch of length {@code >= kdim}.
   */
  static void gemmAcc(float[][] c, int c0, float[][] x, float[][] y, int rows, int kdim, int len, int[] idx,
      float[] val) {
    int block = Math.max(8, (4096 / len) & ~3);
    for (int k0 = 0; k0 < kdim; k0 += block) {
      int k1 = Math.min(kdim, k0 + block);
      for (int r = 0; r < rows; r++) {
        accRow(c[c0 + r], k0, k1, x, y[r], len, idx, val);
      }
    }
  }

  /**
   * {@code y += sum_k c[k] * x[k]} over {@code k0 <= k < k1}, skipping zero coefficients (dead ReLU
   * units, blank pixels). Adds four scaled rows per pass, so {@code y} is loaded and stored once per
   * four multiply-adds. {@code idx} and {@code val} are scratch of length {@code >= k1 - k0}.
   */
  static void accRow(float[] c, int k0, int k1, float[][] x, float[] y, int len, int[] idx, float[] val) {
    int m = 0;
    for (int k = k0; k < k1; k++) {
      float s = c[k];
      idx[m] = k;
      val[m] = s;
      m += s != 0f ? 1 : 0;
    }
    int q = 0;
    for (; q + 3 < m; q += 4) {
      acc4(y, val[q], x[idx[q]], val[q + 1], x[idx[q + 1]], val[q + 2], x[idx[q + 2]], val[q + 3], x[idx[q + 3]], len);
    }
    switch (m - q) {
      case 3 -> acc3(y, val[q], x[idx[q]], val[q + 1], x[idx[q + 1]], val[q + 2], x[idx[q + 2]], len);
      case 2 -> acc2(y, val[q], x[idx[q]], val[q + 1], x[idx[q + 1]], len);
      case 1 -> axpy(val[q], x[idx[q]], y, len);
      default -> { }
    }
  }

  /** {@code y += c0 x0 + c1 x1 + c2 x2 + c3 x3} over the first {@code len} elements. */
  static void acc4(float[] y, float c0, float[] x0, float c1, float[] x1, float c2, float[] x2, float c3, float[] x3,
      int len) {
    for (int j = 0; j < len; j++) {
      y[j] += c0 * x0[j] + c1 * x1[j] + c2 * x2[j] + c3 * x3[j];
    }
  }

  /** {@code y += c0 x0 + c1 x1 + c2 x2} over the first {@code len} elements. */
  static void acc3(float[] y, float c0, float[] x0, float c1, float[] x1, float c2, float[] x2, int len) {
    for (int j = 0; j < len; j++) {
      y[j] += c0 * x0[j] + c1 * x1[j] + c2 * x2[j];
    }
  }

  /** {@code y += c0 x0 + c1 x1} over the first {@code len} elements. */
  static void acc2(float[] y, float c0, float[] x0, float c1, float[] x1, int len) {
    for (int j = 0; j < len; j++) {
      y[j] += c0 * x0[j] + c1 * x1[j];
    }
  }

  /** {@code y += s x} over the first {@code len} elements. */
  static void axpy(float s, float[] x, float[] y, int len) {
    for (int j = 0; j < len; j++) {
      y[j] += s * x[j];
    }
  }

  /** {@code t[j][i] = m[i][j]} for {@code i < rows}, {@code j < cols}, four source rows at a time. */
  static void transpose(float[][] m, float[][] t, int rows, int cols) {
    int i = 0;
    for (; i + 3 < rows; i += 4) {
      float[] m0 = m[i];
      float[] m1 = m[i + 1];
      float[] m2 = m[i + 2];
      float[] m3 = m[i + 3];
      for (int j = 0; j < cols; j++) {
        float[] tj = t[j];
        tj[i] = m0[j];
        tj[i + 1] = m1[j];
        tj[i + 2] = m2[j];
        tj[i + 3] = m3[j];
      }
    }
    for (; i < rows; i++) {
      float[] mi = m[i];
      for (int j = 0; j < cols; j++) {
        t[j][i] = mi[j];
      }
    }
  }

  /** In-place ReLU on the first {@code len} elements. */
  static void relu(float[] z, int len) {
    for (int j = 0; j < len; j++) {
      z[j] = Math.max(z[j], 0f);
    }
  }

  /**
   * Softmax cross-entropy of the logits {@code z[0..k)} for label {@code y}, computed with the
   * log-sum-exp shift so large logits neither overflow nor underflow. Writes
   * {@code scale * (softmax(z) - onehot(y))} to {@code dz} and returns the loss.
   */
  static double softmaxCrossEntropy(float[] z, int k, int y, float scale, float[] dz) {
    double lse = logSumExp(z, k);
    for (int j = 0; j < k; j++) {
      double p = Math.exp(z[j] - lse);
      dz[j] = (float) (scale * (j == y ? p - 1 : p));
    }
    return lse - z[y];
  }

  /** {@code log(sum_j exp(z[j]))} over {@code j < k}, shifted by the maximum so it is stable. */
  public static double logSumExp(float[] z, int k) {
    float max = Float.NEGATIVE_INFINITY;
    for (int j = 0; j < k; j++) {
      if (!(z[j] <= max)) {
        max = z[j];
      }
      if (Float.isNaN(max)) {
        return Double.NaN;
      }
    }
    if (Float.isInfinite(max)) {
      return max;
    }
    double sum = 0;
    for (int j = 0; j < k; j++) {
      sum += Math.exp((double) z[j] - max);
    }
    return max + Math.log(sum);
  }

  /** Index of the largest of {@code z[0..k)}, the first on ties. */
  public static int argmax(float[] z, int k) {
    int best = 0;
    for (int j = 1; j < k; j++) {
      if (z[j] > z[best]) {
        best = j;
      }
    }
    return best;
  }
}
