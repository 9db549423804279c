package dev.starling.report;

/** A metrics file that does not follow the contract; the message starts with {@code SOURCE:LINE:}. */
public final class MetricsFormatException extends IllegalArgumentException {
  private static final long serialVersionUID = 1L;

  private final String source;
  private final int line;

  MetricsFormatException(String source, int line, String problem) {
    super(source + ":" + line + ": " + problem);
    this.source = source;
    this.line = line;
  }

  /** The file (or other source) the bad line came from. */
  public String source() {
    return source;
  }

  /** The 1-based line number, or 0 for a problem of the whole file. */
  public int line() {
    return line;
  }
}
