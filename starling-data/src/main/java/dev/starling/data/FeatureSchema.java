package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How a CSV file's columns became a model's inputs and outputs, so new rows can be encoded exactly as the
 * training rows were: the feature columns in order (numeric: one feature; categorical: one 0/1 feature per
 * category seen in training, plus a {@code <missing>} feature if training had missing values), the label
 * column, the task and the label mapping (class {@code i} is {@code classNames[i]}; for regression the one
 * name is the label column's).
 *
 * <p>A category that training never saw encodes as all zeros in that column's one-hot block (the model has no
 * weight for it). {@link #toText()} and {@link #parse} round-trip, for model files. Immutable.
 *
 * @param columns the feature columns, in feature order
 * @param labelColumn the label column's name
 * @param task the task the label was encoded for
 * @param classNames class index to label text (classification); {@code [labelColumn]} for regression
 */
public record FeatureSchema(List<Column> columns, String labelColumn, Task task, List<String> classNames) {
  private static final char UNIT = '\u001f';
  private static final char RECORD = '\u001e';
  private static final String FORMAT = "schema/1";

  /**
   * One CSV feature column.
   *
   * @param name the column name
   * @param categories the sorted categories of a one-hot column; empty for a numeric column
   * @param hasMissing a one-hot column only: whether a {@code <missing>} feature follows the categories
   */
  public record Column(String name, List<String> categories, boolean hasMissing) {
    public Column {
      Objects.requireNonNull(name, "name");
      categories = List.copyOf(categories);
    }

    /** A numeric column (one feature). */
    public static Column numeric(String name) {
      return new Column(name, List.of(), false);
    }

    public boolean isNumeric() {
      return categories.isEmpty() && !hasMissing;
    }

    /** Features this column produces. */
    public int width() {
      return isNumeric() ? 1 : categories.size() + (hasMissing ? 1 : 0);
    }
  }

  public FeatureSchema {
    columns = List.copyOf(columns);
    Objects.requireNonNull(labelColumn, "labelColumn");
    Objects.requireNonNull(task, "task");
    classNames = List.copyOf(classNames);
    Checks.checkArgument(!columns.isEmpty(), "columns", "non-empty", 0);
  }

  /** Total number of features. */
  public int width() {
    int w = 0;
    for (Column c : columns) {
      w += c.width();
    }
    return w;
  }

  /** Feature names as the loader gives them: {@code col} or {@code col=category}. */
  public List<String> featureNames() {
    List<String> names = new ArrayList<>(width());
    for (Column c : columns) {
      if (c.isNumeric()) {
        names.add(c.name());
      } else {
        c.categories().forEach(cat -> names.add(c.name() + "=" + cat));
        if (c.hasMissing()) {
          names.add(c.name() + "=" + MissingValues.MISSING_TOKEN);
        }
      }
    }
    return names;
  }

  /** The index of class {@code label}, comparing integers by value ({@code 01} is {@code 1}); -1 if unknown. */
  int classIndex(String label) {
    int i = classNames.indexOf(label);
    if (i >= 0) {
      return i;
    }
    try {
      long v = Long.parseLong(label);
      for (int k = 0; k < classNames.size(); k++) {
        try {
          if (Long.parseLong(classNames.get(k)) == v) {
            return k;
          }
        } catch (NumberFormatException e) {
          return -1;
        }
      }
    } catch (NumberFormatException e) {
      return -1;
    }
    return -1;
  }

  /** A one-line text form for model files; {@link #parse} reads it back. */
  public String toText() {
    StringBuilder sb = new StringBuilder(FORMAT).append(RECORD);
    sb.append(check(labelColumn)).append(UNIT).append(task.id());
    for (String c : classNames) {
      sb.append(UNIT).append(check(c));
    }
    for (Column c : columns) {
      sb.append(RECORD).append(check(c.name())).append(UNIT).append(c.isNumeric() ? "n" : c.hasMissing() ? "cm" : "c");
      for (String cat : c.categories()) {
        sb.append(UNIT).append(check(cat));
      }
    }
    return sb.toString();
  }

  /** Reads {@link #toText()}; throws {@link IllegalArgumentException} naming what is malformed. */
  public static FeatureSchema parse(String text) {
    String[] records = text.split(String.valueOf(RECORD), -1);
    if (records.length < 3 || !records[0].equals(FORMAT)) {
      throw new IllegalArgumentException("feature schema must start with '" + FORMAT + "' and list at least one column");
    }
    String[] head = records[1].split(String.valueOf(UNIT), -1);
    if (head.length < 3) {
      throw new IllegalArgumentException("feature schema: label record needs a column, a task and class names");
    }
    List<String> classes = Arrays.asList(head).subList(2, head.length);
    List<Column> cols = new ArrayList<>();
    for (int r = 2; r < records.length; r++) {
      String[] f = records[r].split(String.valueOf(UNIT), -1);
      if (f.length < 2) {
        throw new IllegalArgumentException("feature schema: column record " + (r - 1) + " is malformed");
      }
      List<String> cats = Arrays.asList(f).subList(2, f.length);
      cols.add(switch (f[1]) {
        case "n" -> Column.numeric(f[0]);
        case "c" -> new Column(f[0], cats, false);
        case "cm" -> new Column(f[0], cats, true);
        default -> throw new IllegalArgumentException("feature schema: column '" + f[0] + "' has unknown kind '" + f[1] + "'");
      });
    }
    return new FeatureSchema(cols, head[0], Task.parse(head[1]), classes);
  }

  private static String check(String s) {
    if (s.indexOf(UNIT) >= 0 || s.indexOf(RECORD) >= 0) {
      throw new IllegalArgumentException("column names and values must not contain the control characters U+001E/U+001F."
          + " Provided value: '" + s.replace(UNIT, '?').replace(RECORD, '?') + "'");
    }
    return s;
  }
}
