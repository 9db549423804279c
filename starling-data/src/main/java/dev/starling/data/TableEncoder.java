package dev.starling.data;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;
import dev.starling.core.learner.Task;

/**
 * Turns a {@link RawTable} into a {@link Dataset} as {@link CsvLoader} documents: resolves the label, key and
 * dropped columns, applies the missing-value policy, types each feature column, one-hot encodes the
 * categorical ones and maps labels to {@code 0..K-1}. Single use, not thread-safe.
 */
final class TableEncoder {
  private static final List<String> LABEL_NAMES = List.of("label", "target", "class", "y");
  private static final int MAX_GUESSED_CLASSES = 100;
  private static final int MAX_NUMERIC_CLASSES = 50;
  private static final int MAX_FRACTIONAL_CLASSES = 10;
  private static final String MISSING_HINT = "missing value (use --missing drop|mean to allow)";

  private final RawTable table;
  private final CsvLoader config;
  private final String src;
  private boolean labelIsLastColumnGuess;

  TableEncoder(RawTable table, CsvLoader config) {
    this.table = table;
    this.config = config;
    this.src = table.source();
  }

  Dataset encode() throws DataFormatException {
    List<String> cols = table.columns();
    boolean[] dropped = new boolean[cols.size()];
    for (String d : config.dropColumns()) {
      dropped[resolve(d, "drop column")] = true;
    }
    int key = config.keyColumn().isPresent() ? resolve(config.keyColumn().get(), "key column") : -1;
    int label = labelIndex(dropped, key);
    labelColumnIndex = label;
    if (dropped[label] || label == key) {
      throw new DataFormatException(src + ": label column '" + cols.get(label) + "' is also dropped or the key");
    }
    if (key >= 0 && dropped[key]) {
      throw new DataFormatException(src + ": key column '" + cols.get(key) + "' is also dropped");
    }
    boolean[] categorical = new boolean[cols.size()];
    for (String c : config.categoricalColumns()) {
      categorical[resolve(c, "categorical column")] = true;
    }
    int[] featureCols = new int[cols.size()];
    int nf = 0;
    for (int c = 0; c < cols.size(); c++) {
      if (c != label && c != key && !dropped[c]) {
        featureCols[nf++] = c;
      }
    }
    if (nf == 0) {
      throw new DataFormatException(src + ": no feature columns left besides the label, key and dropped columns");
    }
    featureCols = Arrays.copyOf(featureCols, nf);
    if (table.rows().isEmpty()) {
      throw new DataFormatException(src + ": no data rows" + (config.hasHeader() ? " after the header" : ""));
    }
    int[] kept = keptRows(label, key, featureCols);
    Task task = config.task().orElse(Task.CLASSIFICATION);
    if (task == Task.NEXT_TOKEN) {
      throw new DataFormatException(src + ": --task next-token needs a text file (.txt), not a CSV table");
    }
    float[] targets = null;
    LabelCodec labels = null;
    if (task == Task.REGRESSION) {
      targets = targets(label, kept);
    } else {
      if (config.task().isEmpty()) {
        refuseContinuous(label, kept);
      }
      labels = LabelCodec.fit(table, label, kept);
      if (labelIsLastColumnGuess && labels.numClasses() > MAX_GUESSED_CLASSES) {
        throw new DataFormatException(src + ": the label defaulted to the last column '" + cols.get(label)
            + "', which has " + labels.numClasses() + " distinct values; name the label column with --label COLUMN");
      }
    }

    List<ColumnCodec> codecs = new ArrayList<>(nf);
    List<String> names = new ArrayList<>();
    for (int c : featureCols) {
      ColumnCodec codec = ColumnCodec.fit(table, c, kept, categorical[c]);
      codecs.add(codec);
      codec.addNames(names);
    }
    int width = names.size();
    float[] x = new float[kept.length * width];
    int offset = 0;
    for (ColumnCodec codec : codecs) {
      codec.encode(table, kept, x, width, offset);
      offset += codec.width();
    }
    String[] keys = key < 0 ? null : keyValues(key, kept);
    List<String> classNames = labels == null ? List.of(cols.get(label)) : labels.classNames();
    FeatureSchema schema = new FeatureSchema(codecs.stream().map(ColumnCodec::schemaColumn).toList(), cols.get(label), task,
        classNames);
    Dataset.Builder b = Dataset.builder().name(src).features(x).numFeatures(width).featureNames(names)
        .classNames(classNames).keys(key < 0 ? null : cols.get(key), keys).task(task).schema(schema);
    if (labels == null) {
      b.targets(targets).numClasses(1);
    } else {
      b.labels(labels.encode(table, label, kept)).numClasses(labels.numClasses());
    }
    return b.build();
  }

  /**
   * Encodes the table with a training run's {@code schema} instead of fitting codecs to it: columns are found by
   * name, categories are the schema's (unseen ones encode as zeros), labels are mapped by the schema's classes.
   * A missing label column is an error unless {@code config.labelOptional()}, when the labels are zeros.
   */
  Dataset encodeWith(FeatureSchema schema) throws DataFormatException {
    if (table.rows().isEmpty()) {
      throw new DataFormatException(src + ": no data rows" + (config.hasHeader() ? " after the header" : ""));
    }
    List<FeatureSchema.Column> columns = schema.columns();
    int[] featureCols = new int[columns.size()];
    for (int i = 0; i < featureCols.length; i++) {
      featureCols[i] = resolve(columns.get(i).name(), "feature column (the model was trained on it)");
    }
    int label = -1;
    labelColumnIndex = -2;
    if (!config.labelOptional() || hasColumn(schema.labelColumn())) {
      label = resolve(schema.labelColumn(), "label column");
      labelColumnIndex = label;
    }
    int key = config.keyColumn().isPresent() ? resolve(config.keyColumn().get(), "key column") : -1;
    int[] kept = keptRows(label, key, featureCols);
    int width = schema.width();
    float[] x = new float[kept.length * width];
    int offset = 0;
    for (int i = 0; i < columns.size(); i++) {
      FeatureSchema.Column col = columns.get(i);
      int c = featureCols[i];
      for (int r = 0; r < kept.length; r++) {
        String v = table.rows().get(kept[r])[c];
        int at = r * width + offset;
        if (col.isNumeric()) {
          if (MissingValues.isMissing(v)) {
            throw new DataFormatException(at(kept[r], c) + "missing value (a saved model cannot impute; use --missing drop)");
          }
          x[at] = (float) number(v, kept[r], c);
        } else if (MissingValues.isMissing(v)) {
          if (col.hasMissing()) {
            x[at + col.categories().size()] = 1f;
          }
        } else {
          int k = java.util.Collections.binarySearch(col.categories(), v);
          if (k >= 0) {
            x[at + k] = 1f;
          }
        }
      }
      offset += col.width();
    }
    Dataset.Builder b = Dataset.builder().name(src).features(x).numFeatures(width).featureNames(schema.featureNames())
        .classNames(schema.classNames()).task(schema.task()).schema(schema)
        .keys(key < 0 ? null : table.columns().get(key), key < 0 ? null : keyValues(key, kept));
    if (schema.task() == Task.REGRESSION) {
      b.numClasses(1).targets(label < 0 ? new float[kept.length] : targets(label, kept));
    } else {
      int[] y = new int[kept.length];
      for (int r = 0; label >= 0 && r < kept.length; r++) {
        String v = table.rows().get(kept[r])[label];
        y[r] = schema.classIndex(v);
        if (y[r] < 0) {
          throw new DataFormatException(at(kept[r], label) + "label '" + v + "' is not one of the model's classes "
              + schema.classNames());
        }
      }
      b.numClasses(schema.classNames().size()).labels(y);
    }
    return b.build();
  }

  private boolean hasColumn(String name) {
    for (String c : table.columns()) {
      if (c.equalsIgnoreCase(name)) {
        return true;
      }
    }
    return false;
  }

  /** The regression targets of the kept rows; an error at the first label that is not a finite number. */
  private float[] targets(int label, int[] kept) throws DataFormatException {
    float[] t = new float[kept.length];
    for (int i = 0; i < kept.length; i++) {
      t[i] = (float) number(table.rows().get(kept[i])[label], kept[i], label);
    }
    return t;
  }

  private double number(String v, int row, int col) throws DataFormatException {
    double d;
    try {
      d = Double.parseDouble(v);
    } catch (NumberFormatException e) {
      d = Double.NaN;
    }
    if (!Double.isFinite(d)) {
      throw new DataFormatException(at(row, col) + "'" + v + "' is not a finite number"
          + (col == labelColumnIndex ? " (a regression label must be numeric)" : ""));
    }
    return d;
  }

  private int labelColumnIndex = -1;

  /**
   * Refuses a label that looks continuous (every value a number, and more than {@value #MAX_NUMERIC_CLASSES}
   * distinct values, or more than {@value #MAX_FRACTIONAL_CLASSES} with a fractional one), since turning it into
   * one class per value would silently train a classifier with hundreds of classes.
   */
  private void refuseContinuous(int label, int[] kept) throws DataFormatException {
    TreeSet<String> distinct = distinct(table, label, kept);
    boolean fractional = false;
    for (String v : distinct) {
      double d;
      try {
        d = Double.parseDouble(v);
      } catch (NumberFormatException e) {
        return;
      }
      fractional |= d != Math.rint(d);
    }
    if (distinct.size() > MAX_NUMERIC_CLASSES || (fractional && distinct.size() > MAX_FRACTIONAL_CLASSES)) {
      String name = table.columns().get(label);
      throw new DataFormatException(src + ", column '" + name + "': "
          + (labelIsLastColumnGuess ? "the label defaulted to the last column '" + name + "', which" : "the label")
          + " looks continuous (" + distinct.size() + " distinct values, all numbers, e.g. "
          + String.join(", ", distinct.stream().limit(3).toList()) + "), not a set of classes; use --task regression"
          + " to predict it as a number" + (labelIsLastColumnGuess ? ", name the label column with --label COLUMN," : "")
          + " or --task classification to treat each value as a class anyway");
    }
  }

  /** The rows that survive the missing-value policy; throws under REJECT at the first missing value. */
  private int[] keptRows(int label, int key, int[] featureCols) throws DataFormatException {
    List<String[]> rows = table.rows();
    int[] kept = new int[rows.size()];
    int n = 0;
    MissingValues policy = config.missing();
    for (int r = 0; r < rows.size(); r++) {
      String[] row = rows.get(r);
      boolean missing = false;
      if (label >= 0 && MissingValues.isMissing(row[label])) {
        if (policy != MissingValues.DROP_ROW) {
          throw new DataFormatException(at(r, label) + "missing label ("
              + (policy == MissingValues.REJECT ? "use --missing drop to drop such rows"
                  : "labels are never imputed; use --missing drop") + ")");
        }
        missing = true;
      }
      if (!missing && key >= 0 && MissingValues.isMissing(row[key]) && policy != MissingValues.MEAN_IMPUTE) {
        if (policy == MissingValues.REJECT) {
          throw new DataFormatException(at(r, key) + MISSING_HINT);
        }
        missing = true;
      }
      for (int i = 0; !missing && i < featureCols.length; i++) {
        if (MissingValues.isMissing(row[featureCols[i]])) {
          if (policy == MissingValues.REJECT) {
            throw new DataFormatException(at(r, featureCols[i]) + MISSING_HINT);
          }
          missing = policy == MissingValues.DROP_ROW;
        }
      }
      if (!missing) {
        kept[n++] = r;
      }
    }
    if (n == 0) {
      throw new DataFormatException(src + ": every one of the " + rows.size()
          + " rows has a missing value, so --missing drop leaves no rows");
    }
    return Arrays.copyOf(kept, n);
  }

  private String[] keyValues(int key, int[] kept) {
    String[] keys = new String[kept.length];
    for (int i = 0; i < kept.length; i++) {
      String v = table.rows().get(kept[i])[key];
      keys[i] = MissingValues.isMissing(v) ? MissingValues.MISSING_TOKEN : v;
    }
    return keys;
  }

  private int labelIndex(boolean[] dropped, int key) throws DataFormatException {
    if (config.labelColumn().isPresent()) {
      return resolve(config.labelColumn().get(), "label column");
    }
    List<String> cols = table.columns();
    if (config.hasHeader()) {
      for (String candidate : LABEL_NAMES) {
        for (int c = 0; c < cols.size(); c++) {
          if (cols.get(c).equalsIgnoreCase(candidate) && !dropped[c] && c != key) {
            return c;
          }
        }
      }
    }
    for (int c = cols.size() - 1; c >= 0; c--) {
      if (!dropped[c] && c != key) {
        labelIsLastColumnGuess = true;
        return c;
      }
    }
    throw new DataFormatException(src + ": no column left for the label; available columns: " + available());
  }

  /** The index of column {@code name}: an exact match, else a unique case-insensitive one. */
  private int resolve(String name, String role) throws DataFormatException {
    List<String> cols = table.columns();
    int exact = cols.indexOf(name);
    if (exact >= 0) {
      return exact;
    }
    int found = -1;
    for (int c = 0; c < cols.size(); c++) {
      if (cols.get(c).toLowerCase(Locale.ROOT).equals(name.toLowerCase(Locale.ROOT))) {
        if (found >= 0) {
          throw new DataFormatException(src + ": " + role + " '" + name + "' matches several columns; "
              + "use the exact name. Available columns: " + available());
        }
        found = c;
      }
    }
    if (found < 0) {
      throw new DataFormatException(src + ": " + role + " '" + name + "' not found. Available columns: "
          + available());
    }
    return found;
  }

  private String available() {
    return String.join(", ", table.columns());
  }

  /** The message prefix for row {@code r}, column {@code c}: {@code file line N, column 'x': }. */
  private String at(int r, int c) {
    return at(table, r, c);
  }

  static String at(RawTable t, int r, int c) {
    return t.source() + " line " + t.lines()[r] + ", column '" + t.columns().get(c) + "': ";
  }

  /** Distinct non-missing values of column {@code c} over {@code rows}, sorted. */
  static TreeSet<String> distinct(RawTable t, int c, int[] rows) {
    TreeSet<String> values = new TreeSet<>();
    for (int r : rows) {
      String v = t.rows().get(r)[c];
      if (!MissingValues.isMissing(v)) {
        values.add(v);
      }
    }
    return values;
  }
}
