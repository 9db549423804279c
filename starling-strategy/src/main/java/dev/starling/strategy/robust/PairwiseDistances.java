package dev.starling.strategy.robust;

/**
 * Squared Euclidean distances between all pairs of client updates, as Krum, Multi-Krum and Bulyan
 * need them, from the Gram matrix of dot products: {@code ||a-b||^2 = ||a||^2 + ||b||^2 - 2 a.b}.
 *
 * <p>The Gram matrix is accumulated over cache-sized blocks of coordinates: each block of every update,
 * minus the global model (which leaves distances unchanged and keeps norms small, so the subtraction
 * above loses little precision), is copied into one scratch array of doubles and all pairwise dot
 * products of the block are added up in double. Memory is read once per block rather than once per
 * pair. Stateless.
 */
final class PairwiseDistances {
  /** Doubles held by one scratch block: 16 Ki = 128 KiB. */
  private static final int BLOCK_VALUES = 1 << 14;

  private PairwiseDistances() {}

  /**
   * The symmetric n x n matrix of squared distances between the rows of {@code updates}, with a zero
   * diagonal; tiny negative results of rounding are clamped to 0.
   *
   * @param updates n rows of equal length
   * @param center subtracted from every row before the dot products (e.g. the global model), or null
   */
  static double[][] squared(float[][] updates, float[] center) {
    int n = updates.length;
    int d = n == 0 ? 0 : updates[0].length;
    int block = Math.max(8, Math.min(4096, BLOCK_VALUES / Math.max(1, n)));
    double[][] gram = new double[n][n];
    double[] scratch = new double[n * block];
    for (int from = 0; from < d; from += block) {
      int len = Math.min(block, d - from);
      for (int i = 0; i < n; i++) {
        float[] row = updates[i];
        int base = i * len;
        for (int j = 0; j < len; j++) {
          scratch[base + j] = center == null ? row[from + j] : (double) row[from + j] - center[from + j];
        }
      }
      for (int a = 0; a < n; a++) {
        int ba = a * len;
        for (int b = a; b < n; b++) {
          int bb = b * len;
          double s = 0;
          for (int j = 0; j < len; j++) {
            s += scratch[ba + j] * scratch[bb + j];
          }
          gram[a][b] += s;
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
}
