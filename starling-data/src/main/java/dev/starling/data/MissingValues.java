package dev.starling.data;

/**
 * What {@link CsvLoader} does with a missing value: an empty field or one of {@code NA}, {@code ?},
 * {@code NaN}, {@code null} (case-insensitive).
 */
public enum MissingValues {
  /** Fail with a {@link DataFormatException} naming the file, line and column (the default). */
  REJECT,
  /** Drop every row that has a missing value in a column that is used (features, label or key). */
  DROP_ROW,
  /**
   * Numeric feature: the column mean of the file's non-missing values. Categorical feature: an extra
   * {@code col=<missing>} category. Key: the key {@code <missing>}. A missing label is still an error,
   * since there is nothing sound to impute it with.
   */
  MEAN_IMPUTE;

  /** The token used for a missing category or key under {@link #MEAN_IMPUTE}. */
  public static final String MISSING_TOKEN = "<missing>";

  /** Whether {@code value} (already trimmed) denotes a missing value. */
  public static boolean isMissing(String value) {
    return switch (value.length()) {
      case 0 -> true;
      case 1 -> value.equals("?");
      case 2 -> value.equalsIgnoreCase("NA");
      case 3 -> value.equalsIgnoreCase("NaN");
      case 4 -> value.equalsIgnoreCase("null");
      default -> false;
    };
  }
}
