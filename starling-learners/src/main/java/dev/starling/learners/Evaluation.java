package dev.starling.learners;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.Task;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.internal.Kernels;
import java.util.Arrays;
import java.util.Objects;

/**
 * Evaluation of a {@link ModelSpec} network on a dataset, with the metrics its {@link Task} calls for:
 * <ul>
 *   <li>classification: mean cross-entropy ({@link Metrics#LOSS}), accuracy ({@link Metrics#ACCURACY}) and, for
 *       two classes, the ROC AUC ({@link Metrics#AUC});
 *   <li>regression: {@link Metrics#LOSS} the mean squared error of the (standardised) target the model is trained
 *       on, then {@link Metrics#RMSE} and {@link Metrics#MAE} in the label's own units (errors times
 *       {@link Dataset#targetScale()}) and {@link Metrics#R2} = 1 - SSE / SST around the evaluated rows' mean;
 *   <li>next-token: {@link Metrics#LOSS} (mean cross-entropy in nats), {@link Metrics#PERPLEXITY} = exp(loss),
 *       top-1 {@link Metrics#ACCURACY}.
 * </ul>
 *
 * <p>Rows are processed in blocks of {@value #BLOCK_ROWS}, so memory stays bounded for any dataset
 * size. Single-threaded and deterministic; stateless and thread-safe.
 */
public final class Evaluation {
  /** Rows per forward block. */
  static final int BLOCK_ROWS = 256;

  private Evaluation() {}

  /**
   * Evaluates {@code params} on {@code data}. The AUC ranks rows by the logit margin
   * {@code z1 - z0}, which orders them as the predicted probability of class 1 does; it is left out when
   * the data lacks one of the two classes (it is undefined then). With no rows, loss and accuracy are
   * NaN. Throws {@link dev.starling.core.error.FlException} INVALID_ARGUMENT if {@code params} does not
   * fit {@code spec} and the data's dimensions.
   */
  public static EvalResult evaluate(ModelSpec spec, ParameterSet params, Dataset data) {
    Objects.requireNonNull(spec, "spec");
    Objects.requireNonNull(data, "data");
    int in = data.numFeatures();
    int k = data.numClasses();
    spec.checkCompatible(params, in, k);
    int n = data.size();
    if (data.task() == Task.REGRESSION) {
      return regression(spec, params, data);
    }
    if (n == 0) {
      Metrics.Builder m = Metrics.builder().put(Metrics.LOSS, Double.NaN);
      if (data.task() == Task.NEXT_TOKEN) {
        m.put(Metrics.PERPLEXITY, Double.NaN);
      }
      return new EvalResult(0, m.put(Metrics.ACCURACY, Double.NaN).build());
    }
    int[] y = data.labels();
    float[] margins = k == 2 ? new float[n] : null;
    Tally tally = new Tally();
    Prediction.forEachBlock(spec, params, data.features(), in, k, (z, start, rows) -> {
      for (int r = 0; r < rows; r++) {
        float[] logits = z[r];
        int label = y[start + r];
        tally.loss += Kernels.logSumExp(logits, k) - logits[label];
        if (Kernels.argmax(logits, k) == label) {
          tally.correct++;
        }
        if (margins != null) {
          margins[start + r] = logits[1] - logits[0];
        }
      }
    });
    Metrics.Builder m = Metrics.builder().put(Metrics.LOSS, tally.loss / n);
    if (data.task() == Task.NEXT_TOKEN) {
      m.put(Metrics.PERPLEXITY, Math.exp(tally.loss / n));
    }
    m.put(Metrics.ACCURACY, (double) tally.correct / n);
    if (margins != null && data.task() == Task.CLASSIFICATION) {
      double auc = auc(margins, y);
      if (!Double.isNaN(auc) || hasNaN(margins)) {
        m.put(Metrics.AUC, auc);
      }
    }
    return new EvalResult(n, m.build());
  }

  private static EvalResult regression(ModelSpec spec, ParameterSet params, Dataset data) {
    int n = data.size();
    if (n == 0) {
      return new EvalResult(0, Metrics.builder().put(Metrics.LOSS, Double.NaN).put(Metrics.RMSE, Double.NaN)
          .put(Metrics.MAE, Double.NaN).put(Metrics.R2, Double.NaN).build());
    }
    float[] t = data.targets();
    double mean = 0;
    for (float v : t) {
      mean += v;
    }
    mean /= n;
    double[] sums = new double[3]; // squared error, absolute error, total sum of squares
    double mu = mean;
    Prediction.forEachBlock(spec, params, data.features(), data.numFeatures(), 1, (z, start, rows) -> {
      for (int r = 0; r < rows; r++) {
        double target = t[start + r];
        double e = z[r][0] - target;
        sums[0] += e * e;
        sums[1] += Math.abs(e);
        sums[2] += (target - mu) * (target - mu);
      }
    });
    double scale = data.targetScale();
    double mse = sums[0] / n;
    return new EvalResult(n, Metrics.builder().put(Metrics.LOSS, mse).put(Metrics.RMSE, Math.sqrt(mse) * scale)
        .put(Metrics.MAE, sums[1] / n * scale).put(Metrics.R2, sums[2] == 0 ? Double.NaN : 1 - sums[0] / sums[2])
        .build());
  }

  /**
   * The area under the ROC curve of {@code scores} for binary labels (0 or 1): the Mann-Whitney
   * statistic {@code U / (nPos * nNeg)} (Hanley and McNeil 1982), with tied scores given their average
   * rank, so a positive and a negative with equal scores count one half. NaN if a class is absent or any
   * score is NaN.
   */
  public static double auc(float[] scores, int[] labels01) {
    Objects.requireNonNull(scores, "scores");
    Objects.requireNonNull(labels01, "labels01");
    Checks.checkArgument(scores.length == labels01.length, "labels01.length", "scores.length = " + scores.length,
        labels01.length);
    int n = scores.length;
    long[] keyed = new long[n];
    long positives = 0;
    for (int i = 0; i < n; i++) {
      int label = labels01[i];
      Checks.checkArgument(label == 0 || label == 1, "labels01[" + i + "]", "0 or 1", label);
      positives += label;
      if (Float.isNaN(scores[i])) {
        return Double.NaN;
      }
      keyed[i] = ((long) sortableBits(scores[i]) << 32) | i;
    }
    long negatives = n - positives;
    if (positives == 0 || negatives == 0) {
      return Double.NaN;
    }
    Arrays.sort(keyed);
    double positiveRankSum = 0;
    int start = 0;
    while (start < n) {
      int end = start;
      int bits = (int) (keyed[start] >> 32);
      long tiedPositives = 0;
      while (end < n && (int) (keyed[end] >> 32) == bits) {
        tiedPositives += labels01[(int) keyed[end]];
        end++;
      }
      double averageRank = (start + 1 + end) / 2.0;
      positiveRankSum += tiedPositives * averageRank;
      start = end;
    }
    double u = positiveRankSum - positives * (positives + 1) / 2.0;
    return u / ((double) positives * negatives);
  }

  /** Float bits as an int that orders like the float (with -0 equal to +0). */
  private static int sortableBits(float f) {
    int bits = Float.floatToIntBits(f + 0f);
    return bits >= 0 ? bits : bits ^ 0x7fffffff;
  }

  /** Running sums over the evaluated rows. */
  private static final class Tally {
    double loss;
    long correct;
  }

  private static boolean hasNaN(float[] a) {
    for (float v : a) {
      if (Float.isNaN(v)) {
        return true;
      }
    }
    return false;
  }
}
