package dev.starling.learners;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.learners.internal.DenseParams;
import dev.starling.learners.internal.Kernels;
import dev.starling.learners.internal.Network;
import java.util.Objects;

/**
 * Predictions of a {@link ModelSpec} network for the rows of a dense row-major feature matrix,
 * computed in blocks of bounded size. Stateless and thread-safe.
 */
public final class Prediction {
  private Prediction() {}

  /**
   * The most probable class of each of the {@code features.length / numFeatures} rows (the lowest index
   * on ties). Throws {@link dev.starling.core.error.FlException} INVALID_ARGUMENT if {@code params}
   * does not fit {@code spec} for these dimensions.
   */
  public static int[] predict(ModelSpec spec, ParameterSet params, float[] features, int numFeatures, int numClasses) {
    int[] out = new int[rows(features, numFeatures)];
    forEachBlock(spec, params, features, numFeatures, numClasses, (z, start, rows) -> {
      for (int r = 0; r < rows; r++) {
        out[start + r] = Kernels.argmax(z[r], numClasses);
      }
    });
    return out;
  }

  /** Softmax class probabilities of each row, row-major {@code rows x numClasses}. */
  public static float[] probabilities(ModelSpec spec, ParameterSet params, float[] features, int numFeatures,
      int numClasses) {
    float[] out = new float[Math.multiplyExact(rows(features, numFeatures), numClasses)];
    forEachBlock(spec, params, features, numFeatures, numClasses, (z, start, rows) -> {
      for (int r = 0; r < rows; r++) {
        double lse = Kernels.logSumExp(z[r], numClasses);
        for (int j = 0; j < numClasses; j++) {
          out[(start + r) * numClasses + j] = (float) Math.exp(z[r][j] - lse);
        }
      }
    });
    return out;
  }

  /**
   * Regression: the predicted value of each row in the label's own units, {@code z * scale + offset} with
   * {@code z} the network's single output (trained on targets standardised by {@code offset} and {@code scale}).
   */
  public static double[] values(ModelSpec spec, ParameterSet params, float[] features, int numFeatures, double offset,
      double scale) {
    double[] out = new double[rows(features, numFeatures)];
    forEachBlock(spec, params, features, numFeatures, 1, (z, start, rows) -> {
      for (int r = 0; r < rows; r++) {
        out[start + r] = z[r][0] * scale + offset;
      }
    });
    return out;
  }

  /** Receives the logit rows of one block. */
  interface BlockConsumer {
    void accept(float[][] logitRows, int startRow, int rows);
  }

  /** Runs the forward pass over all rows in blocks of {@value Evaluation#BLOCK_ROWS}. */
  static void forEachBlock(ModelSpec spec, ParameterSet params, float[] features, int numFeatures,
      int numClasses, BlockConsumer consumer) {
    Objects.requireNonNull(spec, "spec");
    int n = rows(features, numFeatures);
    spec.checkCompatible(params, numFeatures, numClasses);
    if (n == 0) {
      return;
    }
    int[] sizes = spec.layerSizes(numFeatures, numClasses);
    DenseParams p = DenseParams.copyOf(spec, sizes, params);
    Network net = new Network(sizes, Math.min(Evaluation.BLOCK_ROWS, n));
    float[][] input = net.inputRows();
    for (int start = 0; start < n; start += Evaluation.BLOCK_ROWS) {
      int rows = Math.min(Evaluation.BLOCK_ROWS, n - start);
      for (int r = 0; r < rows; r++) {
        System.arraycopy(features, (start + r) * numFeatures, input[r], 0, numFeatures);
      }
      net.forward(p, rows);
      consumer.accept(net.logitRows(), start, rows);
    }
  }

  private static int rows(float[] features, int numFeatures) {
    Objects.requireNonNull(features, "features");
    if (numFeatures <= 0 || features.length % numFeatures != 0) {
      throw new IllegalArgumentException("features.length must be a multiple of numFeatures = " + numFeatures
          + ". Provided value: " + features.length);
    }
    return features.length / numFeatures;
  }
}
