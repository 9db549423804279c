package dev.starling.cli;

import dev.starling.core.learner.Task;
import dev.starling.data.Dataset;

/** Small dataset utilities the CLI needs. */
final class Datasets {
  private Datasets() {}

  /** Rows of {@code a} followed by rows of {@code b} (same features, task and classes). */
  static Dataset concat(Dataset a, Dataset b) {
    float[] x = new float[a.features().length + b.features().length];
    System.arraycopy(a.features(), 0, x, 0, a.features().length);
    System.arraycopy(b.features(), 0, x, a.features().length, b.features().length);
    int[] y = new int[a.size() + b.size()];
    System.arraycopy(a.labels(), 0, y, 0, a.size());
    System.arraycopy(b.labels(), 0, y, a.size(), b.size());
    Dataset.Builder d = Dataset.builder().name(a.name()).features(x).labels(y).numFeatures(a.numFeatures())
        .numClasses(a.numClasses()).featureNames(a.featureNames()).classNames(a.classNames()).task(a.task())
        .schema(a.schema().orElse(null)).targetScale(a.targetOffset(), a.targetScale());
    if (a.task() == Task.REGRESSION) {
      float[] t = new float[a.size() + b.size()];
      System.arraycopy(a.targets(), 0, t, 0, a.size());
      System.arraycopy(b.targets(), 0, t, a.size(), b.size());
      d.targets(t);
    }
    return d.build();
  }
}
