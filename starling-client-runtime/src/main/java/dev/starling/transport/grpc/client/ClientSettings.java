package dev.starling.transport.grpc.client;

import dev.starling.core.error.Checks;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.wire.Payloads;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a client reaches the server.
 *
 * @param host server host
 * @param port server port
 * @param clientId this client's id (must match its token on the server)
 * @param token per-client authentication token, if the server requires one
 * @param tls empty = plaintext; else the CA that signed the server (and this client's cert/key for mTLS)
 * @param chunkValues float32 values per chunk of an update
 * @param initialBackoff first wait before reconnecting; doubles up to {@code maxBackoff}, with jitter
 * @param maxBackoff longest wait between reconnection attempts
 * @param giveUpAfter stop trying after the server has been unreachable this long
 */
public record ClientSettings(String host, int port, String clientId, Optional<String> token, Optional<TlsFiles> tls,
    int chunkValues, Duration initialBackoff, Duration maxBackoff, Duration giveUpAfter) {
  public ClientSettings {
    Objects.requireNonNull(host, "host");
    Checks.checkArgument(port > 0 && port <= 65535, "port", "in [1, 65535]", port);
    Checks.checkArgument(clientId != null && !clientId.isBlank(), "clientId", "non-blank", clientId);
    Objects.requireNonNull(token, "token");
    Objects.requireNonNull(tls, "tls");
    Checks.checkArgument(chunkValues > 0 && chunkValues <= Payloads.MAX_CHUNK_VALUES, "chunkValues",
        "in [1, " + Payloads.MAX_CHUNK_VALUES + "] (a chunk must fit gRPC's 4 MiB message limit)", chunkValues);
  }

  /** Plaintext, no token, 1 MiB chunks, backoff 100 ms .. 2 s, give up after 2 minutes. */
  public static ClientSettings of(String host, int port, String clientId) {
    return new ClientSettings(host, port, clientId, Optional.empty(), Optional.empty(), Payloads.DEFAULT_CHUNK_VALUES,
        Duration.ofMillis(100), Duration.ofSeconds(2), Duration.ofMinutes(2));
  }

  public ClientSettings withToken(String t) {
    return new ClientSettings(host, port, clientId, Optional.ofNullable(t), tls, chunkValues, initialBackoff, maxBackoff,
        giveUpAfter);
  }

  public ClientSettings withTls(TlsFiles f) {
    return new ClientSettings(host, port, clientId, token, Optional.ofNullable(f), chunkValues, initialBackoff, maxBackoff,
        giveUpAfter);
  }

  public ClientSettings withChunkValues(int n) {
    return new ClientSettings(host, port, clientId, token, tls, n, initialBackoff, maxBackoff, giveUpAfter);
  }

  public ClientSettings withGiveUpAfter(Duration d) {
    return new ClientSettings(host, port, clientId, token, tls, chunkValues, initialBackoff, maxBackoff, d);
  }
}
