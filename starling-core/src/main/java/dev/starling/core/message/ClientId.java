package dev.starling.core.message;

import dev.starling.core.error.Checks;
import java.util.Objects;

/** Identity of a client (a party holding local data). Ordered by value for deterministic folds. */
public record ClientId(String value) implements Comparable<ClientId> {
  public ClientId {
    Objects.requireNonNull(value, "value");
    Checks.checkArgument(!value.isBlank(), "client id", "non-blank", "'" + value + "'");
  }

  /**
   * The conventional id of simulated client {@code index}: "c" + the index zero-padded to six digits, so
   * ids sort numerically below 1,000,000.
   */
  public static ClientId ofIndex(int index) {
    Checks.checkNonNegative(index, "client index");
    // "c%06d" without String.format, which costs a parse per call (simulations make millions of these)
    String digits = Integer.toString(index);
    StringBuilder b = new StringBuilder(7 + digits.length()).append('c');
    for (int i = digits.length(); i < 6; i++) {
      b.append('0');
    }
    return new ClientId(b.append(digits).toString());
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
