package dev.starling.strategy.kernel;

/**
 * Squared Euclidean distances between all pairs of n rows, as Krum, Multi-Krum and Bulyan need them,
 * from the Gram matrix of dot products: {@code ||a-b||^2 = ||a||^2 + ||b||^2 - 2 a.b}.
 *
 * <p>The fast kernel cuts the coordinates into fixed chunks, run on {@link Parallel}'s threads, each
 * adding up its own partial Gram matrix; partials are summed in chunk order, so the result does not
 * depend on the number of threads. Within a chunk, a cache-sized block of coordinates is transposed
 * into doubles (minus the centre, e.g. the global model, which leaves distances unchanged and keeps
 * norms small so the subtraction above loses little precision) and the upper triangle of the Gram
 * matrix is accumulated as sums of scaled columns, {@code G[a][b..] += x_j[a] * x_j[b..]} for four
 * coordinates j per pass: loops with one offset that C2 vectorises, reading every update once rather
 * than once per pair. {@link #reference} is the direct per-pair sum; the two agree to rounding.
 * Stateless.
 */
public final class Distances {
  /** Coordinates per parallel chunk (one partial Gram matrix each). */
  static final int GRAIN = 1 << 13;
  /** Doubles held by one transposed block: 16 Ki = 128 KiB. */
  private static final int BLOCK_VALUES = 1 << 14;

  private Distances() {}

  /**
   * The symmetric n x n matrix of squared distances between the rows, with a zero diagonal; tiny
   * negative results of rounding are clamped to 0.
   *
   * @param center subtracted from every row first (same length as the rows), or null
   */
  public static double[][] squared(Rows rows, float[] center) {
    int n = rows.count();
    int d = rows.length();
    int chunks = Parallel.chunks(d, GRAIN);
    double[][][] partial = new double[chunks][][];
    int block = Math.max(4, Math.min(GRAIN, (BLOCK_VALUES / Math.max(1, n)) & ~3));
    Parallel.forEachChunk(d, GRAIN, (c, from, to) -> {
      double[][] gram = new double[n][n];
      double[][] t = new double[block][n];
      float[][] tmp = new float[4][block];
      for (int f = from; f < to; f += block) {
        int len = Math.min(block, to - f);
        transpose(rows, center, f, len, tmp, t);
        accumulate(t, len, gram);
      }
      partial[c] = gram;
    });
    double[][] gram = partial[0];
    for (int c = 1; c < chunks; c++) {
      for (int a = 0; a < n; a++) {
        double[] g = gram[a];
        double[] p = partial[c][a];
        for (int b = a; b < n; b++) {
          g[b] += p[b];
        }
      }
    }
    double[][] dist = new double[n][n];
    for (int a = 0; a < n; a++) {
      for (int b = a + 1; b < n; b++) {
        double v = Math.max(0, gram[a][a] + gram[b][b] - 2 * gram[a][b]);
        dist[a][b] = v;
        dist[b][a] = v;
      }
    }
    return dist;
  }

  /**
   * {@code t[j][i] = row_i[from + j] - center[from + j]} for {@code j < len}, in double; four rows at a
   * time, so each {@code t[j]} gets four neighbouring values per visit.
   */
  private static void transpose(Rows rows, float[] center, int from, int len, float[][] tmp, double[][] t) {
    int n = rows.count();
    int i = 0;
    for (; i + 3 < n; i += 4) {
      float[][] r = new float[4][];
      int o = 0;
      for (int q = 0; q < 4; q++) {
        r[q] = rows.arrayHolding(i + q, from, len);
        if (r[q] == null) {
          break;
        }
      }
      if (r[3] != null) {
        o = rows.offsetIn(from);
      } else {
        for (int q = 0; q < 4; q++) {
          rows.copy(i + q, from, tmp[q], 0, len);
          r[q] = tmp[q];
        }
      }
      float[] r0 = r[0];
      float[] r1 = r[1];
      float[] r2 = r[2];
      float[] r3 = r[3];
      for (int j = 0; j < len; j++) {
        double c = center == null ? 0.0 : center[from + j];
        double[] tj = t[j];
        tj[i] = r0[o + j] - c;
        tj[i + 1] = r1[o + j] - c;
        tj[i + 2] = r2[o + j] - c;
        tj[i + 3] = r3[o + j] - c;
      }
    }
    for (; i < n; i++) {
      rows.copy(i, from, tmp[0], 0, len);
      float[] r0 = tmp[0];
      for (int j = 0; j < len; j++) {
        t[j][i] = r0[j] - (center == null ? 0.0 : center[from + j]);
      }
    }
  }

  /** {@code gram[a][b] += sum_j t[j][a] * t[j][b]} for {@code b >= a}, four coordinates j per pass. */
  private static void accumulate(double[][] t, int len, double[][] gram) {
    int n = gram.length;
    for (int a = 0; a < n; a++) {
      double[] g = gram[a];
      int j = 0;
      for (; j + 3 < len; j += 4) {
        double[] t0 = t[j];
        double[] t1 = t[j + 1];
        double[] t2 = t[j + 2];
        double[] t3 = t[j + 3];
        double c0 = t0[a];
        double c1 = t1[a];
        double c2 = t2[a];
        double c3 = t3[a];
        for (int b = a; b < n; b++) {
          g[b] += c0 * t0[b] + c1 * t1[b] + c2 * t2[b] + c3 * t3[b];
        }
      }
      for (; j < len; j++) {
        double[] t0 = t[j];
        double c0 = t0[a];
        for (int b = a; b < n; b++) {
          g[b] += c0 * t0[b];
        }
      }
    }
  }

  /** The readable reference: {@code sum_j (a_j - b_j)^2} in double for every pair, one thread. */
  public static double[][] reference(float[][] rows) {
    int n = rows.length;
    double[][] dist = new double[n][n];
    for (int a = 0; a < n; a++) {
      for (int b = a + 1; b < n; b++) {
        double s = 0;
        for (int j = 0; j < rows[a].length; j++) {
          double diff = (double) rows[a][j] - rows[b][j];
          s += diff * diff;
        }
        dist[a][b] = s;
        dist[b][a] = s;
      }
    }
    return dist;
  }
}
