package dev.starling.data;

import dev.starling.core.io.ModelArchive;
import dev.starling.core.learner.Task;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * What turns raw rows into a model's inputs and its outputs back into labels, as saved in a model file
 * ({@link ModelArchive} version 2), so the model can be used after training: the task, the label mapping, the
 * CSV feature schema (columns, one-hot categories) when the data came from a CSV file, and the agreed
 * standardiser's statistics.
 *
 * <p>In the file: metadata {@code task}, {@code class_names} (joined by U+001F), {@code preprocessing}
 * ({@code standardize} or {@code none}; version-1 files say {@code standardize-per-party}), {@code feature_schema}
 * ({@link FeatureSchema#toText()}), {@code target_mean} and {@code target_std} (regression, decimal); auxiliary
 * tensors {@code standardize.mean} and {@code standardize.std}. A version-1 file reads as classification with
 * {@link #legacyPerParty()} set: its statistics were never saved, so data is standardised with its own, as
 * version-1 evaluation did. Immutable.
 *
 * @param task what the model predicts
 * @param classNames class index to label (classification, next-token); {@code [label column]} for regression
 * @param schema how CSV columns become features, if the model was trained on a CSV file
 * @param standardizer the agreed standardisation, if it was on and saved
 * @param legacyPerParty a version-1 model trained with per-party standardisation whose statistics were not saved
 */
public record Preprocessing(Task task, List<String> classNames, Optional<FeatureSchema> schema,
    Optional<Standardizer> standardizer, boolean legacyPerParty) {
  public static final String TASK = "task";
  public static final String CLASS_NAMES = "class_names";
  public static final String PREPROCESSING = "preprocessing";
  public static final String FEATURE_SCHEMA = "feature_schema";
  public static final String TARGET_MEAN = "target_mean";
  public static final String TARGET_STD = "target_std";
  public static final String MEAN = "standardize.mean";
  public static final String STD = "standardize.std";
  private static final char SEP = '\u001f';

  public Preprocessing {
    Objects.requireNonNull(task, "task");
    classNames = List.copyOf(classNames);
    Objects.requireNonNull(schema, "schema");
    Objects.requireNonNull(standardizer, "standardizer");
  }

  /** The preprocessing of a model trained on {@code train} with {@code standardizer} (empty: off). */
  public static Preprocessing of(Dataset train, Optional<Standardizer> standardizer) {
    return new Preprocessing(train.task(), train.classNames(), train.schema(), standardizer, false);
  }

  /** Adds this preprocessing's metadata entries to {@code meta} and returns its auxiliary tensors. */
  public ParameterSet writeTo(Map<String, String> meta) {
    meta.put(TASK, task.id());
    meta.put(CLASS_NAMES, String.join(String.valueOf(SEP), classNames));
    meta.put(PREPROCESSING, standardizer.isPresent() ? "standardize" : legacyPerParty ? "standardize-per-party" : "none");
    schema.ifPresent(s -> meta.put(FEATURE_SCHEMA, s.toText()));
    if (standardizer.isEmpty()) {
      return ParameterSet.of(List.of());
    }
    Standardizer s = standardizer.get();
    if (s.hasTarget()) {
      meta.put(TARGET_MEAN, Double.toString(s.targetMean()));
      meta.put(TARGET_STD, Double.toString(s.targetStd()));
    }
    float[] mean = s.mean();
    return ParameterSet.of(Tensor.of(MEAN, mean, mean.length), Tensor.of(STD, s.std(), mean.length));
  }

  /**
   * The preprocessing a model file records (version 1 or 2). Throws {@link IllegalArgumentException} naming the
   * field if it is malformed.
   */
  public static Preprocessing read(ModelArchive archive) {
    Map<String, String> meta = archive.metadata();
    Task task = Task.parse(meta.getOrDefault(TASK, Task.CLASSIFICATION.id()));
    String names = meta.get(CLASS_NAMES);
    List<String> classes = names == null ? List.of() : Arrays.asList(names.split(String.valueOf(SEP), -1));
    Optional<FeatureSchema> schema = Optional.ofNullable(meta.get(FEATURE_SCHEMA)).map(FeatureSchema::parse);
    String mode = meta.getOrDefault(PREPROCESSING, "none");
    Optional<Standardizer> std = Optional.empty();
    boolean legacy = false;
    switch (mode) {
      case "none" -> { }
      case "standardize-per-party" -> legacy = true;
      case "standardize" -> {
        ParameterSet aux = archive.auxiliary();
        if (!aux.names().contains(MEAN) || !aux.names().contains(STD)) {
          throw new IllegalArgumentException("model file says preprocessing 'standardize' but lacks the tensors "
              + MEAN + " and " + STD);
        }
        double tm = meta.containsKey(TARGET_MEAN) ? Double.parseDouble(meta.get(TARGET_MEAN)) : 0;
        double ts = meta.containsKey(TARGET_STD) ? Double.parseDouble(meta.get(TARGET_STD)) : Double.NaN;
        std = Optional.of(Standardizer.of(aux.get(MEAN).data(), aux.get(STD).data(), tm, ts));
      }
      default -> throw new IllegalArgumentException("model file field '" + PREPROCESSING
          + "' must be none, standardize or standardize-per-party. Provided value: '" + mode + "'");
    }
    return new Preprocessing(task, classes, schema, std, legacy);
  }

  /**
   * {@code data} as the model expects it: standardised with the saved statistics (targets too, for regression),
   * or, for a version-1 per-party model, with statistics fitted on {@code data} itself.
   */
  public Dataset apply(Dataset data) {
    if (standardizer.isPresent()) {
      return standardizer.get().apply(data);
    }
    return legacyPerParty ? Standardizer.fit(data).apply(data) : data;
  }
}
