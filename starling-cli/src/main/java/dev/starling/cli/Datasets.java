package dev.starling.cli;

import dev.starling.data.Dataset;

/** Small dataset utilities the CLI needs. */
final class Datasets {
  private Datasets() {}

  /** Rows of {@code a} followed by rows of {@code b} (same features and classes). */
  static Dataset concat(Dataset a, Dataset b) {
    float[] x = new float[a.features().length + b.features().length];
    System.arraycopy(a.features(), 0, x, 0, a.features().length);
    System.arraycopy(b.features(), 0, x, a.features().length, b.features().length);
    int[] y = new int[a.size() + b.size()];
    System.arraycopy(a.labels(), 0, y, 0, a.size());
    System.arraycopy(b.labels(), 0, y, a.size(), b.size());
    return Dataset.builder().name(a.name()).features(x).labels(y).numFeatures(a.numFeatures())
        .numClasses(a.numClasses()).featureNames(a.featureNames()).classNames(a.classNames()).build();
  }
}
