package dev.starling.core.message;

import dev.starling.core.error.ErrorCode;
import java.util.Objects;

/** A client that did not deliver a usable reply in a round, and why. Failures are data, never swallowed. */
public record ClientFailure(ClientId client, ErrorCode code, String reason) {
  public ClientFailure {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(code, "code");
    Objects.requireNonNull(reason, "reason");
  }
}
