package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * An in-memory dataset: a dense row-major float32 feature matrix and, as the {@link Task} says, integer labels
 * in {@code [0, numClasses)} (classification, next-token) or real targets (regression), plus optional per-row
 * partition keys (a natural client key such as hospital or state, kept out of the features).
 *
 * <p>A regression dataset has {@code numClasses() == 1} (one model output), all labels 0, and its
 * {@link #targets()}; after standardisation the targets are z-scores and {@link #targetOffset()} /
 * {@link #targetScale()} map them back to the label's own units ({@code y = z * scale + offset}).
 * A dataset loaded from a CSV file also carries the {@link FeatureSchema} that encoded it.
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
  private final Task task;
  private final float[] targets;
  private final double targetOffset;
  private final double targetScale;
  private final FeatureSchema schema;

  private Dataset(Builder b) {
    this.name = Objects.requireNonNull(b.name, "name");
    this.features = Objects.requireNonNull(b.features, "features");
    this.labels = Objects.requireNonNull(b.labels, "labels");
    this.numFeatures = Checks.checkPositive(b.numFeatures, "numFeatures");
    this.task = Objects.requireNonNull(b.task, "task");
    this.numClasses = task == Task.REGRESSION && b.numClasses == 0 ? 1 : b.numClasses;
    if (task == Task.REGRESSION) {
      Checks.checkArgument(numClasses == 1, "numClasses of a regression dataset", "1", numClasses);
      Objects.requireNonNull(b.targets, "targets of a regression dataset");
      Checks.checkArgument(b.targets.length == b.labels.length, "targets.length", "rows = " + b.labels.length,
          b.targets.length);
    } else {
      Checks.checkArgument(numClasses >= 2, "numClasses", ">= 2", numClasses);
      Checks.checkArgument(b.targets == null, "targets", "null unless the task is regression", "an array");
    }
    this.targets = b.targets;
    this.targetOffset = b.targetOffset;
    this.targetScale = b.targetScale;
    Checks.checkArgument(targetScale > 0 && Double.isFinite(targetScale) && Double.isFinite(targetOffset),
        "targetScale", "finite and > 0 (offset finite)", targetScale);
    this.schema = b.schema;
    Checks.checkArgument(features.length == (long) labels.length * numFeatures, "features.length",
        "rows * numFeatures = " + ((long) labels.length * numFeatures), features.length);
    for (int i = 0; i < labels.length; i++) {
      if (labels[i] < 0 || labels[i] >= numClasses) {
        throw new IllegalArgumentException("label of row " + i + " must be in [0, " + numClasses + "). Provided value: " + labels[i]);
      }
    }
    this.featureNames = b.featureNames == null ? defaultNames("f", numFeatures) : List.copyOf(b.featureNames);
    Checks.checkArgument(featureNames.size() == numFeatures, "featureNames.size()", "numFeatures = " + numFeatures, featureNames.size());
    this.classNames = b.classNames == null ? (task == Task.REGRESSION ? List.of("value") : defaultNames("", numClasses))
        : List.copyOf(b.classNames);
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

  /** What the rows are labelled for. */
  public Task task() {
    return task;
  }

  /** Regression targets, one per row (shared, do not mutate); throws unless the task is regression. */
  public float[] targets() {
    if (targets == null) {
      throw new IllegalStateException(name + " is a " + task + " dataset; it has labels, not regression targets");
    }
    return targets;
  }

  /** Regression: what a target of 0 means in the label's own units (the agreed mean after standardisation). */
  public double targetOffset() {
    return targetOffset;
  }

  /** Regression: the label's units per target unit (the agreed standard deviation after standardisation). */
  public double targetScale() {
    return targetScale;
  }

  /** How the rows were encoded from a CSV file, if they were. */
  public Optional<FeatureSchema> schema() {
    return Optional.ofNullable(schema);
  }

  /** Same rows with regression targets {@code newTargets} measured as {@code y = t * scale + offset}. */
  public Dataset withTargets(float[] newTargets, double offset, double scale) {
    return toBuilder().targets(newTargets).targetScale(offset, scale).build();
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
    float[] t = targets == null ? null : new float[rows.length];
    for (int i = 0; i < rows.length; i++) {
      int r = rows[i];
      System.arraycopy(features, r * numFeatures, x, i * numFeatures, numFeatures);
      y[i] = labels[r];
      if (k != null) {
        k[i] = keys[r];
      }
      if (t != null) {
        t[i] = targets[r];
      }
    }
    return toBuilder().features(x).labels(y).targets(t).keys(keyName, k).build();
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
        .numClasses(numClasses).featureNames(featureNames).classNames(classNames).keys(keyName, keys)
        .task(task).targets(targets).targetScale(targetOffset, targetScale).schema(schema);
  }

  @Override
  public String toString() {
    if (task == Task.REGRESSION) {
      return name + " (" + size() + " rows, " + numFeatures + " features, regression)";
    }
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
    private Task task = Task.CLASSIFICATION;
    private float[] targets;
    private double targetOffset = 0;
    private double targetScale = 1;
    private FeatureSchema schema;

    private Builder() {}

    public Builder task(Task v) { task = v; return this; }
    /** Regression targets (task regression only); labels default to zeros. */
    public Builder targets(float[] v) { targets = v; return this; }
    public Builder targetScale(double offset, double scale) { targetOffset = offset; targetScale = scale; return this; }
    public Builder schema(FeatureSchema v) { schema = v; return this; }

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
      if (labels == null && targets != null) {
        labels = new int[targets.length];
      }
      return new Dataset(this);
    }
  }
}
