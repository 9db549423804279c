package dev.starling.core.message;

import java.util.Objects;

/** A successful reply of one client. */
public record ClientReply<T>(ClientId client, T result) {
  public ClientReply {
    Objects.requireNonNull(client, "client");
    Objects.requireNonNull(result, "result");
  }
}
