package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;

/**
 * Z-score standardisation {@code (x - mean) / std} of the features and, for regression data, of the target.
 *
 * <p>In federated use the statistics are <em>agreed</em>: each party computes its {@link Statistics} (row
 * count, per-feature sums and sums of squares) on its own training rows, the parties' statistics are summed
 * ({@link Statistics#plus}; under secure aggregation only the sum would be revealed) and every party, the
 * server's evaluator and the saved model use the one {@link Statistics#standardizer()} that results, so a
 * feature value means the same to every party and to the model after training. {@link #fit} is the
 * single-party form, used for data that was never federated. Fixed scales that need no fitting (pixels / 255,
 * digits / 16) are applied by the loaders instead.
 *
 * <p>{@code std} is the population standard deviation; a feature with zero variance (constant in the
 * fitted data) gets std 1, so it maps to 0 rather than to NaN. Immutable and thread-safe.
 */
public final class Standardizer {
  private final float[] mean;
  private final float[] std;
  private final boolean hasTarget;
  private final double targetMean;
  private final double targetStd;

  private Standardizer(float[] mean, float[] std) {
    this(mean, std, false, 0, 1);
  }

  private Standardizer(float[] mean, float[] std, boolean hasTarget, double targetMean, double targetStd) {
    this.mean = mean;
    this.std = std;
    this.hasTarget = hasTarget;
    this.targetMean = targetMean;
    this.targetStd = targetStd;
  }

  /**
   * A standardiser with the given statistics (e.g. read back from a model file): per-feature means and
   * standard deviations ({@code > 0}), and, for regression, the target's mean and standard deviation
   * ({@code targetStd} NaN for none).
   */
  public static Standardizer of(float[] mean, float[] std, double targetMean, double targetStd) {
    Checks.checkArgument(mean.length == std.length, "std.length", "mean.length = " + mean.length, std.length);
    for (int j = 0; j < std.length; j++) {
      Checks.checkArgument(std[j] > 0 && Float.isFinite(std[j]) && Float.isFinite(mean[j]), "std[" + j + "]",
          "finite and > 0 (with a finite mean)", std[j]);
    }
    boolean target = !Double.isNaN(targetStd);
    if (target) {
      Checks.checkArgument(targetStd > 0 && Double.isFinite(targetStd) && Double.isFinite(targetMean), "targetStd",
          "finite and > 0 (with a finite mean)", targetStd);
    }
    return new Standardizer(mean.clone(), std.clone(), target, target ? targetMean : 0, target ? targetStd : 1);
  }

  /** Whether this standardiser also scales a regression target. */
  public boolean hasTarget() {
    return hasTarget;
  }

  /** The target's mean (0 without a target). */
  public double targetMean() {
    return targetMean;
  }

  /** The target's standard deviation (1 without a target). */
  public double targetStd() {
    return targetStd;
  }

  /**
   * One party's sufficient statistics for standardisation: rows, per-feature sums and sums of squares, and,
   * for regression data, the target's sum and sum of squares (NaN otherwise). Summing parties' statistics
   * gives the statistics of their union, so the agreed standardiser needs no party's rows.
   *
   * @param count rows
   * @param sum per-feature sums
   * @param sumSquares per-feature sums of squares
   * @param targetSum sum of the regression targets, NaN for other tasks
   * @param targetSumSquares sum of the squared regression targets, NaN for other tasks
   */
  public record Statistics(long count, double[] sum, double[] sumSquares, double targetSum, double targetSumSquares) {
    public Statistics {
      Checks.checkArgument(count >= 0, "count", ">= 0", count);
      Checks.checkArgument(sum.length == sumSquares.length, "sumSquares.length", "sum.length = " + sum.length,
          sumSquares.length);
    }

    /** The statistics of {@code data}'s rows. */
    public static Statistics of(Dataset data) {
      int d = data.numFeatures();
      double[] s = new double[d];
      double[] q = new double[d];
      float[] x = data.features();
      for (int base = 0; base < x.length; base += d) {
        for (int j = 0; j < d; j++) {
          double v = x[base + j];
          s[j] += v;
          q[j] += v * v;
        }
      }
      double ts = Double.NaN;
      double tq = Double.NaN;
      if (data.task() == Task.REGRESSION) {
        ts = 0;
        tq = 0;
        for (float t : data.targets()) {
          ts += t;
          tq += (double) t * t;
        }
      }
      return new Statistics(data.size(), s, q, ts, tq);
    }

    /** The statistics of both parties' rows together. */
    public Statistics plus(Statistics o) {
      Checks.checkArgument(o.sum.length == sum.length, "features of the other statistics", "" + sum.length, o.sum.length);
      double[] s = sum.clone();
      double[] q = sumSquares.clone();
      for (int j = 0; j < s.length; j++) {
        s[j] += o.sum[j];
        q[j] += o.sumSquares[j];
      }
      return new Statistics(count + o.count, s, q, targetSum + o.targetSum, targetSumSquares + o.targetSumSquares);
    }

    /** The standardiser these statistics define; throws if they cover no rows. */
    public Standardizer standardizer() {
      Checks.checkArgument(count > 0, "count", "> 0 to define a Standardizer", count);
      float[] m = new float[sum.length];
      float[] sd = new float[sum.length];
      for (int j = 0; j < m.length; j++) {
        double mu = sum[j] / count;
        double s = deviation(mu, sumSquares[j]);
        m[j] = (float) mu;
        sd[j] = s == 0 ? 1f : (float) s;
      }
      if (Double.isNaN(targetSum)) {
        return new Standardizer(m, sd);
      }
      double tm = targetSum / count;
      double ts = deviation(tm, targetSumSquares);
      return new Standardizer(m, sd, true, tm, ts == 0 ? 1 : ts);
    }

    /** The population standard deviation, 0 when the variance is lost in rounding (a constant column). */
    private double deviation(double mu, double sq) {
      double var = sq / count - mu * mu;
      return var <= 1e-12 * Math.max(1, mu * mu) ? 0 : Math.sqrt(var);
    }
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
    if (data.task() != Task.REGRESSION) {
      return new Standardizer(mean, std);
    }
    return new Standardizer(mean, std, false, 0, 1).withTarget(Statistics.of(data).standardizer());
  }

  private Standardizer withTarget(Standardizer t) {
    return new Standardizer(mean, std, t.hasTarget, t.targetMean, t.targetStd);
  }

  /**
   * A copy of {@code data} with every feature standardised, and, for regression data when this standardiser has
   * target statistics, the targets too (the copy's {@link Dataset#targetOffset()} and {@link Dataset#targetScale()}
   * are then the target's mean and deviation). Same feature count as the fitted data required.
   */
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
    Dataset out = data.withFeatures(z);
    if (hasTarget && data.task() == Task.REGRESSION) {
      float[] t = data.targets();
      float[] zt = new float[t.length];
      for (int i = 0; i < t.length; i++) {
        zt[i] = (float) ((t[i] - targetMean) / targetStd);
      }
      out = out.withTargets(zt, targetMean, targetStd);
    }
    return out;
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
