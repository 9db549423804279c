package dev.starling.data;

import dev.starling.core.error.Checks;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An in-memory classification dataset: a dense row-major float32 feature matrix and integer labels
 * in {@code [0, numClasses)}, plus optional per-row partition keys (a natural client key such as
 * hospital or state, kept out of the features).
 *
 * <p>Immutable by convention: the arrays are shared with subsets only through copies, and callers must
 * not mutate what the accessors return. Thread-safe for reading.
 */
public final class Dataset {
  private final String name;
  private final float[] features;
  private final int[] labels;
  private final int numFeatures;
  private final int numClasses;
  private final List<String> featureNames;
  private final List<String> classNames;
  private final String keyName;
  private final String[] keys;

  private Dataset(Builder b) {
    this.name = Objects.requireNonNull(b.name, "name");
    this.features = Objects.requireNonNull(b.features, "features");
    this.labels = Objects.requireNonNull(b.labels, "labels");
    this.numFeatures = Checks.checkPositive(b.numFeatures, "numFeatures");
    this.numClasses = b.numClasses;
    Checks.checkArgument(numClasses >= 2, "numClasses", ">= 2", numClasses);
    Checks.checkArgument(features.length == (long) labels.length * numFeatures, "features.length",
        "rows * numFeatures = " + ((long) labels.length * numFeatures), features.length);
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException("label of row " + i + " must be in [0, " + numClasses + "). Provided value: " + labels[i]);
      }
    }
    this.featureNames = b.featureNames == null ? defaultNames("f", numFeatures) : List.copyOf(b.featureNames);
    Checks.checkArgument(featureNames.size() == numFeatures, "featureNames.size()", "numFeatures = " + numFeatures, featureNames.size());
    this.classNames = b.classNames == null ? defaultNames("", numClasses) : List.copyOf(b.classNames);
    Checks.checkArgument(classNames.size() == numClasses, "classNames.size()", "numClasses = " + numClasses, classNames.size());
    this.keyName = b.keyName;
    this.keys = b.keys;
    if (keys != null) {
      Checks.checkArgument(keys.length == labels.length, "keys.length", "rows = " + labels.length, keys.length);
      Objects.requireNonNull(keyName, "keyName");
    }
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A human-readable name: the bundled name or the file path. */
  public String name() {
    return name;
  }

  public int size() {
    return labels.length;
  }

  public int numFeatures() {
    return numFeatures;
  }

  public int numClasses() {
    return numClasses;
  }

  /** Row-major {@code size() x numFeatures()} matrix (shared, do not mutate). */
  public float[] features() {
    return features;
  }

  /** Labels (shared, do not mutate). */
  public int[] labels() {
    return labels;
  }

  public int label(int row) {
    return labels[row];
  }

  public float feature(int row, int col) {
    return features[row * numFeatures + col];
  }

  public List<String> featureNames() {
    return featureNames;
  }

  public List<String> classNames() {
    return classNames;
  }

  /** The natural partition key column name, if the loader kept one. */
  public Optional<String> keyName() {
    return Optional.ofNullable(keyName);
  }

  /** Per-row partition key values (shared, do not mutate); empty if no key column was kept. */
  public Optional<String[]> keys() {
    return Optional.ofNullable(keys);
  }

  /** Count of rows per class. */
  public int[] classCounts() {
    int[] c = new int[numClasses];
    for (int y : labels) {
      c[y]++;
    }
    return c;
  }

  /** A new dataset holding copies of {@code rows} in the given order. */
  public Dataset subset(int[] rows) {
    float[] x = new float[rows.length * numFeatures];
    int[] y = new int[rows.length];
    String[] k = keys == null ? null : new String[rows.length];
    for (int i = 0; i < rows.length; i++) {
      int r = rows[i];
      System.arraycopy(features, r * numFeatures, x, i * numFeatures, numFeatures);
      y[i] = labels[r];
      if (k != null) {
        k[i] = keys[r];
      }
    }
    return toBuilder().features(x).labels(y).keys(keyName, k).build();
  }

  /** Same metadata with other features (same shape), e.g. after standardisation. */
  public Dataset withFeatures(float[] newFeatures) {
    return toBuilder().features(newFeatures).build();
  }

  /** Same features and metadata with other labels (same length, same class count). */
  public Dataset withLabels(int[] newLabels) {
    return toBuilder().labels(newLabels).build();
  }

  /** Same rows and metadata with another name. */
  public Dataset withName(String newName) {
    return toBuilder().name(newName).build();
  }

  private Builder toBuilder() {
    return builder().name(name).features(features).labels(labels).numFeatures(numFeatures)
        .numClasses(numClasses).featureNames(featureNames).classNames(classNames).keys(keyName, keys);
  }

  @Override
  public String toString() {
    return name + " (" + size() + " rows, " + numFeatures + " features, " + numClasses + " classes, counts "
        + Arrays.toString(classCounts()) + ")";
  }

  private static List<String> defaultNames(String prefix, int n) {
    String[] s = new String[n];
    for (int i = 0; i < n; i++) {
      s[i] = prefix + i;
    }
    return List.of(s);
  }

  /** Builds a {@link Dataset}; arrays are taken, not copied. */
  public static final class Builder {
    private String name = "dataset";
    private float[] features;
    private int[] labels;
    private int numFeatures;
    private int numClasses;
    private List<String> featureNames;
    private List<String> classNames;
    private String keyName;
    private String[] keys;

    private Builder() {}

    public Builder name(String v) { name = v; return this; }
    public Builder features(float[] v) { features = v; return this; }
    public Builder labels(int[] v) { labels = v; return this; }
    public Builder numFeatures(int v) { numFeatures = v; return this; }
    public Builder numClasses(int v) { numClasses = v; return this; }
    public Builder featureNames(List<String> v) { featureNames = v; return this; }
    public Builder classNames(List<String> v) { classNames = v; return this; }

    /** Per-row natural partition keys from column {@code column}; both null for none. */
    public Builder keys(String column, String[] v) {
      keyName = column;
      keys = v;
      return this;
    }

    public Dataset build() {
      return new Dataset(this);
    }
  }
}
