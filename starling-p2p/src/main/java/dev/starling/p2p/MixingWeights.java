package dev.starling.p2p;

/**
 * A sparse mixing matrix {@code W}: row i lists the peers whose values peer i combines (itself first, then its
 * in-neighbours in increasing order) and their weights, so one gossip step is {@code x_i <- sum_j W_ij x_j}.
 * Immutable.
 */
public final class MixingWeights {
  private final int[][] cols;
  private final double[][] weights;

  private MixingWeights(int[][] cols, double[][] weights) {
    this.cols = cols;
    this.weights = weights;
  }

  /**
   * Metropolis-Hastings weights of an undirected graph: {@code W_ij = 1 / (1 + max(d_i, d_j))} on each edge and
   * {@code W_ii = 1 - sum_j W_ij}; symmetric and doubly stochastic, with a positive diagonal.
   */
  public static MixingWeights metropolisHastings(Graph g) {
    if (g.directed()) {
      throw new IllegalArgumentException("Metropolis-Hastings weights need an undirected graph; " + g);
    }
    int n = g.size();
    int[][] cols = new int[n][];
    double[][] w = new double[n][];
    for (int i = 0; i < n; i++) {
      int[] nb = g.outRef(i);
      cols[i] = new int[nb.length + 1];
      w[i] = new double[nb.length + 1];
      cols[i][0] = i;
      double rest = 0;
      for (int k = 0; k < nb.length; k++) {
        int j = nb[k];
        double wij = 1.0 / (1 + Math.max(g.degree(i), g.degree(j)));
        cols[i][k + 1] = j;
        w[i][k + 1] = wij;
        rest += wij;
      }
      w[i][0] = 1 - rest;
    }
    return new MixingWeights(cols, w);
  }

  /**
   * Push-sum's weights on any graph: peer j keeps {@code 1 / (d_j + 1)} of its mass and sends as much to each of its
   * d_j out-neighbours; column stochastic (mass is conserved), row stochastic only on regular graphs.
   */
  public static MixingWeights uniformPush(Graph g) {
    int n = g.size();
    int[] inDeg = new int[n];
    for (int j = 0; j < n; j++) {
      for (int i : g.outRef(j)) {
        inDeg[i]++;
      }
    }
    int[][] cols = new int[n][];
    double[][] w = new double[n][];
    int[] fill = new int[n];
    for (int i = 0; i < n; i++) {
      cols[i] = new int[inDeg[i] + 1];
      w[i] = new double[inDeg[i] + 1];
      cols[i][0] = i;
      w[i][0] = 1.0 / (g.degree(i) + 1);
      fill[i] = 1;
    }
    for (int j = 0; j < n; j++) {
      for (int i : g.outRef(j)) {
        cols[i][fill[i]] = j;
        w[i][fill[i]++] = 1.0 / (g.degree(j) + 1);
      }
    }
    for (int i = 0; i < n; i++) {
      sortTail(cols[i], w[i]);
    }
    return new MixingWeights(cols, w);
  }

  private static void sortTail(int[] c, double[] w) {
    for (int a = 2; a < c.length; a++) {
      int ck = c[a];
      double wk = w[a];
      int b = a - 1;
      while (b >= 1 && c[b] > ck) {
        c[b + 1] = c[b];
        w[b + 1] = w[b];
        b--;
      }
      c[b + 1] = ck;
      w[b + 1] = wk;
    }
  }

  public int size() {
    return cols.length;
  }

  /** The peers row i combines (itself first); a copy. */
  public int[] columns(int i) {
    return cols[i].clone();
  }

  /** Row i's weights, aligned with {@link #columns}; a copy. */
  public double[] weights(int i) {
    return weights[i].clone();
  }

  int[] colsRef(int i) {
    return cols[i];
  }

  double[] weightsRef(int i) {
    return weights[i];
  }

  /** The dense n x n matrix (for tests and small graphs). */
  public double[][] dense() {
    int n = size();
    double[][] m = new double[n][n];
    for (int i = 0; i < n; i++) {
      for (int k = 0; k < cols[i].length; k++) {
        m[i][cols[i][k]] += weights[i][k];
      }
    }
    return m;
  }

  /** Whether every row and every column sums to 1 within {@code tol} and no weight is negative. */
  public boolean doublyStochastic(double tol) {
    int n = size();
    double[] colSum = new double[n];
    for (int i = 0; i < n; i++) {
      double row = 0;
      for (int k = 0; k < cols[i].length; k++) {
        if (weights[i][k] < 0) {
          return false;
        }
        row += weights[i][k];
        colSum[cols[i][k]] += weights[i][k];
      }
      if (Math.abs(row - 1) > tol) {
        return false;
      }
    }
    for (double c : colSum) {
      if (Math.abs(c - 1) > tol) {
        return false;
      }
    }
    return true;
  }

  /** {@code out_i = sum_j W_ij x_j} for one row, accumulated in double. */
  void mixRow(int i, float[][] x, float[] out) {
    int d = out.length;
    double[] acc = new double[d];
    int[] c = cols[i];
    double[] w = weights[i];
    for (int k = 0; k < c.length; k++) {
      float[] xj = x[c[k]];
      double wk = w[k];
      for (int t = 0; t < d; t++) {
        acc[t] += wk * xj[t];
      }
    }
    for (int t = 0; t < d; t++) {
      out[t] = (float) acc[t];
    }
  }
}
