package dev.starling.data;

import dev.starling.core.error.Checks;

/**
 * Z-score standardisation {@code (x - mean) / std} with statistics fitted on one party's data.
 *
 * <p>In federated use it is fitted <em>per client</em> on that client's own training rows, so no statistics
 * cross parties: nothing about one party's data distribution is sent anywhere. The evaluator standardises
 * its own test data with its own statistics (a separate {@code fit} on the test set), never with the
 * clients'. Fixed scales that need no fitting (pixels / 255, digits / 16) are applied by the loaders instead.
 *
 * <p>{@code std} is the population standard deviation; a feature with zero variance (constant in the
 * fitted data) gets std 1, so it maps to 0 rather than to NaN. Immutable and thread-safe.
 */
public final class Standardizer {
  private final float[] mean;
  private final float[] std;

  private Standardizer(float[] mean, float[] std) {
    this.mean = mean;
    this.std = std;
  }

  /** Fits per-feature mean and standard deviation on {@code data} (at least one row). */
  public static Standardizer fit(Dataset data) {
    int n = data.size();
    int d = data.numFeatures();
    Checks.checkArgument(n > 0, "data.size()", "> 0 to fit a Standardizer", n);
    float[] x = data.features();
    double[] sum = new double[d];
    float[] min = new float[d];
    float[] max = new float[d];
    System.arraycopy(x, 0, min, 0, d);
    System.arraycopy(x, 0, max, 0, d);
    for (int r = 0; r < n; r++) {
      int base = r * d;
      for (int j = 0; j < d; j++) {
        float v = x[base + j];
        sum[j] += v;
        min[j] = Math.min(min[j], v);
        max[j] = Math.max(max[j], v);
      }
    }
    double[] mu = new double[d];
    for (int j = 0; j < d; j++) {
      mu[j] = sum[j] / n;
    }
    double[] sq = new double[d];
    for (int r = 0; r < n; r++) {
      int base = r * d;
      for (int j = 0; j < d; j++) {
        double dev = x[base + j] - mu[j];
        sq[j] += dev * dev;
      }
    }
    float[] mean = new float[d];
    float[] std = new float[d];
    for (int j = 0; j < d; j++) {
      boolean constant = min[j] == max[j];
      mean[j] = constant ? min[j] : (float) mu[j];
      double s = Math.sqrt(sq[j] / n);
      std[j] = constant || s == 0 ? 1f : (float) s;
    }
    return new Standardizer(mean, std);
  }

  /** A copy of {@code data} with every feature standardised; same shape as the fitted data required. */
  public Dataset apply(Dataset data) {
    int d = mean.length;
    Checks.checkArgument(data.numFeatures() == d, "data.numFeatures()", "the fitted " + d, data.numFeatures());
    float[] x = data.features();
    float[] z = new float[x.length];
    for (int base = 0; base < x.length; base += d) {
      for (int j = 0; j < d; j++) {
        z[base + j] = (x[base + j] - mean[j]) / std[j];
      }
    }
    return data.withFeatures(z);
  }

  /** The fitted per-feature means (a copy). */
  public float[] mean() {
    return mean.clone();
  }

  /** The fitted per-feature standard deviations, 1 for zero-variance features (a copy). */
  public float[] std() {
    return std.clone();
  }
}
