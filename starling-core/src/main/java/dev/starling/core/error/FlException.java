package dev.starling.core.error;

import java.util.Objects;

/** The one unchecked root exception of Starling; it always carries an {@link ErrorCode}. */
public class FlException extends RuntimeException {
  private final ErrorCode code;

  public FlException(ErrorCode code, String message) {
    this(code, message, null);
  }

  public FlException(ErrorCode code, String message, Throwable cause) {
    super(message, cause);
    this.code = Objects.requireNonNull(code, "code");
  }

  /** Returns the error code of this failure. */
  public ErrorCode code() {
    return code;
  }
}
