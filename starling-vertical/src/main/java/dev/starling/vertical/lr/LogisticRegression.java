package dev.starling.vertical.lr;

import dev.starling.core.error.Checks;
import dev.starling.vertical.ColumnBlock;
import dev.starling.vertical.VerticalConfig;

/**
 * Plain binary logistic regression trained by mini-batch SGD on all columns in one place: the centralised
 * reference the vertical protocol is compared with. It follows exactly the schedule of
 * {@link VerticalLogisticRegression} (same split, same batch order, zero start, same update), so the two
 * differ only by the protocol's fixed-point encoding. Not thread-safe.
 */
public final class LogisticRegression {
  private final float[] w;
  private float bias;

  private LogisticRegression(int cols) {
    this.w = new float[cols];
  }

  /** Trains on the rows {@code config.trainIndex} of {@code x} with 0/1 labels {@code y}. */
  public static LogisticRegression train(ColumnBlock x, int[] y, VerticalConfig config) {
    Checks.checkArgument(y.length == x.rows(), "labels", "one per row (" + x.rows() + ")", y.length);
    LogisticRegression m = new LogisticRegression(x.cols());
    int[] train = config.trainIndex(x.rows());
    double[] d = new double[config.batchSize()];
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      int[] order = config.batchOrder(train.length, epoch);
      for (int start = 0; start < order.length; start += config.batchSize()) {
        int n = Math.min(config.batchSize(), order.length - start);
        for (int i = 0; i < n; i++) {
          int r = train[order[start + i]];
          d[i] = sigmoid(m.bias + dot(m.w, x, r)) - y[r];
        }
        double[] g = gradient(x, train, order, start, n, d);
        step(m.w, g, config, n);
        m.bias -= (float) (config.learningRate() * mean(d, n));
      }
    }
    return m;
  }

  /** {@code sum_i x[r_i, j] d_i} for every column j of the batch rows. */
  static double[] gradient(ColumnBlock x, int[] train, int[] order, int start, int n, double[] d) {
    double[] g = new double[x.cols()];
    for (int i = 0; i < n; i++) {
      int r = train[order[start + i]];
      for (int j = 0; j < x.cols(); j++) {
        g[j] += x.get(r, j) * d[i];
      }
    }
    return g;
  }

  /** {@code w -= lr (g / n + l2 w)}. */
  static void step(float[] w, double[] g, VerticalConfig config, int n) {
    for (int j = 0; j < w.length; j++) {
      w[j] -= (float) (config.learningRate() * (g[j] / n + config.l2() * w[j]));
    }
  }

  static double mean(double[] d, int n) {
    double s = 0;
    for (int i = 0; i < n; i++) {
      s += d[i];
    }
    return s / n;
  }

  /** {@code sum_j w_j x[r, j]}. */
  public static double dot(float[] w, ColumnBlock x, int r) {
    double s = 0;
    int base = r * x.cols();
    float[] v = x.x();
    for (int j = 0; j < w.length; j++) {
      s += (double) w[j] * v[base + j];
    }
    return s;
  }

  public static double sigmoid(double z) {
    return 1 / (1 + Math.exp(-z));
  }

  /** The weights (a copy). */
  public float[] weights() {
    return w.clone();
  }

  public float bias() {
    return bias;
  }

  /** P(y = 1) of every row of {@code x}. */
  public float[] predict(ColumnBlock x) {
    float[] out = new float[x.rows()];
    for (int r = 0; r < out.length; r++) {
      out[r] = (float) sigmoid(bias + dot(w, x, r));
    }
    return out;
  }
}
