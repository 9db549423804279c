package dev.starling.transport.grpc.server;

import dev.starling.core.error.Checks;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.wire.Payloads;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * How the federation server listens and what it accepts.
 *
 * @param host address to bind, e.g. 127.0.0.1 or 0.0.0.0
 * @param port TCP port; 0 picks a free one
 * @param tls server certificate and key, and for mutual TLS the client CA; empty = plaintext
 * @param tokens per-client authentication tokens (client id -> token); empty = no token check
 * @param heartbeat how often clients send heartbeats; a client silent for 3 intervals is dropped
 * @param chunkValues float32 values per chunk message
 * @param maxUpdateValues largest update (model plus attachments) accepted, in values; bigger is rejected
 * @param maxConcurrentUploads updates received at the same time; each needs one model-sized buffer until
 *     it is folded, so this bounds server memory at (2 + this) model sizes for FedAvg-like strategies
 * @param uploadWait how long an update may wait for an upload slot before it is rejected
 * @param model the model architecture id sent to clients (e.g. "mlp:32")
 * @param strategy the strategy spec sent to clients (they install its client-side interceptors)
 * @param runId identifies the run in logs and on clients
 */
public record ServerSettings(String host, int port, Optional<TlsFiles> tls, Map<String, String> tokens,
    Duration heartbeat, int chunkValues, long maxUpdateValues, int maxConcurrentUploads, Duration uploadWait,
    String model, String strategy, String runId) {
  public ServerSettings {
    Objects.requireNonNull(host, "host");
    Checks.checkArgument(port >= 0 && port <= 65535, "port", "in [0, 65535]", port);
    Objects.requireNonNull(tls, "tls");
    tokens = Map.copyOf(tokens);
    Checks.checkArgument(!heartbeat.isNegative() && !heartbeat.isZero(), "heartbeat", "> 0", heartbeat);
    Checks.checkPositive(chunkValues, "chunkValues");
    Checks.checkArgument(maxUpdateValues > 0, "maxUpdateValues", "> 0", maxUpdateValues);
    Checks.checkPositive(maxConcurrentUploads, "maxConcurrentUploads");
    Objects.requireNonNull(uploadWait, "uploadWait");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(runId, "runId");
  }

  /** Plaintext on 127.0.0.1, no tokens, 1 s heartbeats, 1 MiB chunks, 2 concurrent uploads. */
  public static ServerSettings loopback(int port, String model, String strategy) {
    return new ServerSettings("127.0.0.1", port, Optional.empty(), Map.of(), Duration.ofSeconds(1),
        Payloads.DEFAULT_CHUNK_VALUES, 1L << 31, 2, Duration.ofMinutes(10), model, strategy, "run");
  }

  public ServerSettings withTls(TlsFiles files) {
    return new ServerSettings(host, port, Optional.of(files), tokens, heartbeat, chunkValues, maxUpdateValues,
        maxConcurrentUploads, uploadWait, model, strategy, runId);
  }

  public ServerSettings withTokens(Map<String, String> t) {
    return new ServerSettings(host, port, tls, t, heartbeat, chunkValues, maxUpdateValues, maxConcurrentUploads,
        uploadWait, model, strategy, runId);
  }

  public ServerSettings withLimits(long maxValues, int uploads, Duration wait) {
    return new ServerSettings(host, port, tls, tokens, heartbeat, chunkValues, maxValues, uploads, wait, model,
        strategy, runId);
  }

  public ServerSettings withHeartbeat(Duration hb) {
    return new ServerSettings(host, port, tls, tokens, hb, chunkValues, maxUpdateValues, maxConcurrentUploads,
        uploadWait, model, strategy, runId);
  }
}
