package dev.starling.core.message;

import dev.starling.core.error.Checks;
import java.util.Objects;

/** Identity of a client (a party holding local data). Ordered by value for deterministic folds. */
public record ClientId(String value) implements Comparable<ClientId> {
  public ClientId {
    Objects.requireNonNull(value, "value");
    Checks.checkArgument(!value.isBlank(), "client id", "non-blank", "'" + value + "'");
  }

  /** The conventional id of simulated client {@code index}: "c" + zero-padded index, so ids sort numerically. */
  public static ClientId ofIndex(int index) {
    return new ClientId(String.format("c%06d", index));
  }

  @Override
  public int compareTo(ClientId o) {
    return value.compareTo(o.value);
  }

  @Override
  public String toString() {
    return value;
  }
}
