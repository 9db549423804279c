package dev.starling.data;

import java.io.IOException;

/**
 * A data file that could be read but whose content is wrong: a missing or non-numeric value, a wrong field
 * count, a bad IDX header, a truncated file, a label column with a single class.
 *
 * <p>The message always names the file and, where there is one, the 1-based physical line (the header is
 * line 1) and the column, and says how to fix the problem, e.g.
 * {@code data.csv line 17, column 'age': missing value (use --missing drop|mean to allow)}.
 * It is checked (an {@link IOException}) because it arises only at the I/O edge.
 */
public final class DataFormatException extends IOException {
  private static final long serialVersionUID = 1L;

  /** A format error described by {@code message}. */
  public DataFormatException(String message) {
    super(message);
  }

  /** A format error described by {@code message}, caused by a lower-level failure. */
  public DataFormatException(String message, Throwable cause) {
    super(message, cause);
  }
}
