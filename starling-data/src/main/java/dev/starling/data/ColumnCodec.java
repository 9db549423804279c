package dev.starling.data;

import java.util.Arrays;
import java.util.List;

/**
 * How one CSV feature column becomes features: a numeric column is one feature, a categorical column one
 * 0/1 feature per category (one-hot). Fitted on the file's own rows only.
 */
sealed interface ColumnCodec permits ColumnCodec.Numeric, ColumnCodec.Categorical {

  /** Number of features this column produces. */
  int width();

  /** This column as a {@link FeatureSchema.Column}, so new rows can be encoded the same way. */
  FeatureSchema.Column schemaColumn();

  /** Appends this column's feature names. */
  void addNames(List<String> names);

  /** Writes this column's features for each kept row into {@code x} at {@code offset} of each row. */
  void encode(RawTable t, int[] kept, float[] x, int rowWidth, int offset);

  /**
   * Types and fits column {@code c} over the {@code kept} rows: categorical if {@code forceCategorical} or
   * its values are mostly not numbers, numeric if all are numbers, else an error at the first non-number.
   * A numeric column's values must fit in float32 (features are float32): a finite double such as 1e308 or 5e38
   * would become an infinite feature, so it is an error naming the file, line and column.
   */
  static ColumnCodec fit(RawTable t, int c, int[] kept, boolean forceCategorical)
      throws DataFormatException {
    String name = t.columns().get(c);
    if (forceCategorical) {
      return Categorical.fit(t, c, kept);
    }
    double[] values = new double[kept.length];
    int numbers = 0;
    int notNumbers = 0;
    int firstBad = -1;
    int firstTooBig = -1;
    for (int i = 0; i < kept.length; i++) {
      String v = t.rows().get(kept[i])[c];
      if (MissingValues.isMissing(v)) {
        values[i] = Double.NaN;
        continue;
      }
      double d = parse(v);
      values[i] = d;
      if (Double.isFinite(d)) {
        numbers++;
        if (firstTooBig < 0 && Float.isInfinite((float) d)) {
          firstTooBig = kept[i];
        }
      } else {
        notNumbers++;
        firstBad = firstBad < 0 ? kept[i] : firstBad;
      }
    }
    if (notNumbers == 0 && numbers == 0) {
      throw new DataFormatException(t.source() + ", column '" + name
          + "': every value is missing, nothing to impute from (drop the column with --drop " + name + ")");
    }
    if (notNumbers == 0) {
      if (firstTooBig >= 0) {
        throw new DataFormatException(TableEncoder.at(t, firstTooBig, c) + "'" + t.rows().get(firstTooBig)[c]
            + "' is beyond the float32 range of features (magnitude at most " + Float.MAX_VALUE
            + "); rescale the column");
      }
      return Numeric.of(name, values);
    }
    if (numbers > notNumbers) {
      String bad = t.rows().get(firstBad)[c];
      throw new DataFormatException(TableEncoder.at(t, firstBad, c) + "'" + bad + "' is not "
          + (Double.isNaN(parse(bad)) ? "a number" : "a finite number")
          + " (the column is mostly numbers; list it as categorical to one-hot encode it)");
    }
    return Categorical.fit(t, c, kept);
  }

  /** The value of {@code v} as a double, NaN if it is not a number; cheap for obvious non-numbers. */
  private static double parse(String v) {
    char ch = v.charAt(0);
    if (ch == '-' || ch == '+') {
      ch = v.length() > 1 ? v.charAt(1) : 'x';
    }
    if (!(ch >= '0' && ch <= '9') && ch != '.' && ch != 'I') {
      return Double.NaN;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      return Double.NaN;
    }
  }

  /** A numeric column; missing values (NaN) take the mean of the non-missing ones. */
  record Numeric(String name, double[] values) implements ColumnCodec {
    static Numeric of(String name, double[] values) {
      double sum = 0;
      int n = 0;
      for (double v : values) {
        if (!Double.isNaN(v)) {
          sum += v;
          n++;
        }
      }
      double mean = sum / n;
      for (int i = 0; i < values.length; i++) {
        if (Double.isNaN(values[i])) {
          values[i] = mean;
        }
      }
      return new Numeric(name, values);
    }

    @Override
    public int width() {
      return 1;
    }

    @Override
    public FeatureSchema.Column schemaColumn() {
      return FeatureSchema.Column.numeric(name);
    }

    @Override
    public void addNames(List<String> names) {
      names.add(name);
    }

    @Override
    public void encode(RawTable t, int[] kept, float[] x, int rowWidth, int offset) {
      for (int i = 0; i < values.length; i++) {
        x[i * rowWidth + offset] = (float) values[i];
      }
    }
  }

  /** A one-hot column: categories sorted, plus {@code col=<missing>} last if a value is missing. */
  record Categorical(int column, String name, String[] categories, boolean hasMissing) implements ColumnCodec {
    static Categorical fit(RawTable t, int c, int[] kept) {
      String[] cats = TableEncoder.distinct(t, c, kept).toArray(String[]::new);
      boolean missing = false;
      for (int r : kept) {
        missing |= MissingValues.isMissing(t.rows().get(r)[c]);
      }
      return new Categorical(c, t.columns().get(c), cats, missing);
    }

    @Override
    public int width() {
      return categories.length + (hasMissing ? 1 : 0);
    }

    @Override
    public FeatureSchema.Column schemaColumn() {
      return new FeatureSchema.Column(name, List.of(categories), hasMissing);
    }

    @Override
    public void addNames(List<String> names) {
      for (String cat : categories) {
        names.add(name + "=" + cat);
      }
      if (hasMissing) {
        names.add(name + "=" + MissingValues.MISSING_TOKEN);
      }
    }

    @Override
    public void encode(RawTable t, int[] kept, float[] x, int rowWidth, int offset) {
      for (int i = 0; i < kept.length; i++) {
        String v = t.rows().get(kept[i])[column];
        int k = MissingValues.isMissing(v) ? categories.length : Arrays.binarySearch(categories, v);
        x[i * rowWidth + offset + k] = 1f;
      }
    }
  }
}
