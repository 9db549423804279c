package dev.starling.djl;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.Objects;

/**
 * One party's examples as a DJL model reads them: dense row-major float32 features of a fixed per-example
 * shape, and an int label (classification, next token) or a float target (regression) per example.
 *
 * <p>For {@link Task#NEXT_TOKEN} the features are token ids in {@code [0, numOutputs)} stored as floats
 * (exact up to 2^24), one row of {@code exampleShape[0]} tokens per example, and the label is the token
 * that follows the row. Immutable by contract: the arrays are not copied, so callers must not change them.
 *
 * @param name a label for messages
 * @param task what is predicted
 * @param exampleShape the shape of one example, e.g. {@code [1, 28, 28]} for an image or {@code [80]} for 80 tokens
 * @param features {@code size * prod(exampleShape)} values
 * @param labels one class or next-token id per example; {@code null} for regression
 * @param targets one real target per example for regression; {@code null} otherwise
 * @param numOutputs classes or vocabulary size; 1 for regression
 */
public record DjlData(String name, Task task, int[] exampleShape, float[] features, int[] labels, float[] targets,
    int numOutputs) {

  public DjlData {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(task, "task");
    Objects.requireNonNull(features, "features");
    exampleShape = exampleShape.clone();
    Checks.checkArgument(exampleShape.length >= 1, "exampleShape of " + name, "at least one dimension",
        Arrays.toString(exampleShape));
    long per = 1;
    for (int d : exampleShape) {
      Checks.checkArgument(d > 0, "exampleShape of " + name, "all positive", Arrays.toString(exampleShape));
      per *= d;
    }
    Checks.checkArgument(features.length % per == 0, "features.length of " + name,
        "a multiple of prod(exampleShape " + Arrays.toString(exampleShape) + ") = " + per, features.length);
    int n = (int) (features.length / per);
    Checks.checkPositive(numOutputs, "numOutputs");
    if (task == Task.REGRESSION) {
      Objects.requireNonNull(targets, "targets");
      Checks.checkArgument(labels == null, "labels of " + name, "null for regression", "an array");
      Checks.checkArgument(targets.length == n, "targets.length of " + name, "the example count " + n, targets.length);
      Checks.checkArgument(numOutputs == 1, "numOutputs of " + name, "1 for regression", numOutputs);
    } else {
      Objects.requireNonNull(labels, "labels");
      Checks.checkArgument(targets == null, "targets of " + name, "null unless regression", "an array");
      Checks.checkArgument(labels.length == n, "labels.length of " + name, "the example count " + n, labels.length);
      for (int i = 0; i < n; i++) {
        if (labels[i] < 0 || labels[i] >= numOutputs) {
          throw new IllegalArgumentException("label of example " + i + " in " + name + " must be in [0, " + numOutputs
              + "). Provided value: " + labels[i]);
        }
      }
    }
    if (task == Task.NEXT_TOKEN) {
      Checks.checkArgument(exampleShape.length == 1, "exampleShape of " + name, "[sequenceLength] for next-token data",
          Arrays.toString(exampleShape));
      for (int i = 0; i < features.length; i++) {
        float t = features[i];
        if (t < 0 || t >= numOutputs || t != Math.rint(t)) {
          throw new IllegalArgumentException("token " + i % per + " of example " + i / per + " in " + name
              + " must be an integer id in [0, " + numOutputs + "). Provided value: " + t);
        }
      }
    }
  }

  /** Classification data; {@code exampleShape} defaults to {@code [numFeatures]} when omitted. */
  public static DjlData classification(String name, float[] features, int[] labels, int numClasses, int... exampleShape) {
    int[] shape = exampleShape.length == 0 ? new int[] {features.length / Math.max(1, labels.length)} : exampleShape;
    return new DjlData(name, Task.CLASSIFICATION, shape, features, labels, null, numClasses);
  }

  /** Next-token data: rows of {@code sequenceLength} token ids and the token after each row. */
  public static DjlData nextToken(String name, float[] tokenIds, int[] nextTokens, int vocabulary, int sequenceLength) {
    return new DjlData(name, Task.NEXT_TOKEN, new int[] {sequenceLength}, tokenIds, nextTokens, null, vocabulary);
  }

  /** Regression data with one real target per example. */
  public static DjlData regression(String name, float[] features, float[] targets, int... exampleShape) {
    int[] shape = exampleShape.length == 0 ? new int[] {features.length / Math.max(1, targets.length)} : exampleShape;
    return new DjlData(name, Task.REGRESSION, shape, features, null, targets, 1);
  }

  /**
   * A classification view of a Starling {@link Dataset}, its rows reshaped to {@code exampleShape}
   * (e.g. {@code [1, 8, 8]} for the bundled digits); no copy.
   */
  public static DjlData of(Dataset d, int... exampleShape) {
    int[] shape = exampleShape.length == 0 ? new int[] {d.numFeatures()} : exampleShape;
    long per = 1;
    for (int s : shape) {
      per *= s;
    }
    Checks.checkArgument(per == d.numFeatures(), "exampleShape for " + d.name(),
        "a shape of " + d.numFeatures() + " features", Arrays.toString(shape));
    return new DjlData(d.name(), Task.CLASSIFICATION, shape, d.features(), d.labels(), null, d.numClasses());
  }

  /** Number of examples. */
  public int size() {
    return task == Task.REGRESSION ? targets.length : labels.length;
  }

  /** Values per example, the product of {@link #exampleShape()}. */
  public int exampleSize() {
    int per = 1;
    for (int d : exampleShape) {
      per *= d;
    }
    return per;
  }

  @Override
  public int[] exampleShape() {
    return exampleShape.clone();
  }

  @Override
  public String toString() {
    return "DjlData[" + name + ", " + task + ", " + size() + " x " + Arrays.toString(exampleShape) + " -> " + numOutputs + "]";
  }
}
