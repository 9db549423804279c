package dev.starling.core.message;

import dev.starling.core.error.ErrorCode;
import java.util.Objects;

/** A value or a typed failure: "content XOR error". */
public sealed interface Outcome<T> permits Outcome.Ok, Outcome.Failed {
  static <T> Outcome<T> ok(T value) {
    return new Ok<>(value);
  }

  static <T> Outcome<T> failed(ErrorCode code, String reason) {
    return new Failed<>(code, reason);
  }

  /** A successful outcome. */
  record Ok<T>(T value) implements Outcome<T> {
    public Ok {
      Objects.requireNonNull(value, "value");
    }
  }

  /** A failed outcome with its reason. */
  record Failed<T>(ErrorCode code, String reason) implements Outcome<T> {
    public Failed {
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(reason, "reason");
    }
  }
}
