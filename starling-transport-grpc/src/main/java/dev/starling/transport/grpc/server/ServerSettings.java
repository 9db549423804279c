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
 * @param chunkValues float32 values per chunk message, at most {@link Payloads#MAX_CHUNK_VALUES} (gRPC's
 *     4 MiB message limit)
 * @param maxUpdateValues largest update (model plus attachments) accepted, in values; bigger is rejected
 * @param maxConcurrentUploads updates received at the same time; each needs one model-sized buffer until
 *     it is folded, so this bounds server memory at (2 + this) model sizes for FedAvg-like strategies
 * @param uploadWait how long an update may wait for an upload slot before it is rejected
 * @param model the model architecture id sent to clients (e.g. "mlp:32")
 * @param strategy the strategy spec sent to clients (they install its client-side interceptors)
 * @param runId identifies the run in logs and on clients
 * @param helloTimeout a session that has not said Hello this long after it opened is closed
 * @param uploadIdleTimeout an upload that holds a slot and sends nothing for this long loses the slot and
 *     its task fails (DEADLINE_EXCEEDED), so stalled clients cannot starve the others of slots
 * @param lanePort the TCP port of the byte lane offered to clients that can use one (protocol v1.7,
 *     {@link dev.starling.transport.grpc.wire.ByteLane}): chunk bytes then travel beside the stream, without
 *     HTTP/2; 0 picks a free port, {@link #NO_LANE} offers none (the default). Plaintext only: a server with TLS
 *     cannot offer one
 */
public record ServerSettings(String host, int port, Optional<TlsFiles> tls, Map<String, String> tokens,
    Duration heartbeat, int chunkValues, long maxUpdateValues, int maxConcurrentUploads, Duration uploadWait,
    String model, String strategy, String runId, Duration helloTimeout, Duration uploadIdleTimeout, int lanePort) {
  /** {@link #lanePort()} of a server that offers no byte lane. */
  public static final int NO_LANE = -1;
  /** Default {@link #helloTimeout()}. */
  public static final Duration DEFAULT_HELLO_TIMEOUT = Duration.ofSeconds(10);
  /** Default {@link #uploadIdleTimeout()}. */
  public static final Duration DEFAULT_UPLOAD_IDLE_TIMEOUT = Duration.ofSeconds(30);

  public ServerSettings {
    Objects.requireNonNull(host, "host");
    Checks.checkArgument(port >= 0 && port <= 65535, "port", "in [0, 65535]", port);
    Objects.requireNonNull(tls, "tls");
    tokens = Map.copyOf(tokens);
    Checks.checkArgument(positive(heartbeat), "heartbeat", "> 0", heartbeat);
    Checks.checkArgument(chunkValues > 0 && chunkValues <= Payloads.MAX_CHUNK_VALUES, "chunkValues",
        "in [1, " + Payloads.MAX_CHUNK_VALUES + "] (a chunk must fit gRPC's 4 MiB message limit)", chunkValues);
    Checks.checkArgument(maxUpdateValues > 0, "maxUpdateValues", "> 0", maxUpdateValues);
    Checks.checkPositive(maxConcurrentUploads, "maxConcurrentUploads");
    Objects.requireNonNull(uploadWait, "uploadWait");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(strategy, "strategy");
    Objects.requireNonNull(runId, "runId");
    Checks.checkArgument(positive(helloTimeout), "helloTimeout", "> 0", helloTimeout);
    Checks.checkArgument(positive(uploadIdleTimeout), "uploadIdleTimeout", "> 0", uploadIdleTimeout);
    Checks.checkArgument(lanePort >= NO_LANE && lanePort <= 65535, "lanePort", "in [0, 65535], or -1 for none",
        lanePort);
    Checks.checkArgument(lanePort == NO_LANE || tls.isEmpty(), "lanePort",
        "-1 (none) with TLS: the byte lane is plaintext, and would carry the updates TLS protects", lanePort);
  }

  /** As the canonical constructor, without a byte lane. */
  public ServerSettings(String host, int port, Optional<TlsFiles> tls, Map<String, String> tokens,
      Duration heartbeat, int chunkValues, long maxUpdateValues, int maxConcurrentUploads, Duration uploadWait,
      String model, String strategy, String runId, Duration helloTimeout, Duration uploadIdleTimeout) {
    this(host, port, tls, tokens, heartbeat, chunkValues, maxUpdateValues, maxConcurrentUploads, uploadWait, model,
        strategy, runId, helloTimeout, uploadIdleTimeout, NO_LANE);
  }

  /** Whether clients are offered a byte lane. */
  public boolean offersLane() {
    return lanePort != NO_LANE;
  }

  /** These settings with a byte lane on {@code port} (0: a free one), or none with {@link #NO_LANE}. */
  public ServerSettings withLane(int port) {
    return new ServerSettings(host, this.port, tls, tokens, heartbeat, chunkValues, maxUpdateValues,
        maxConcurrentUploads, uploadWait, model, strategy, runId, helloTimeout, uploadIdleTimeout, port);
  }

  /** As the canonical constructor, with the default Hello and upload-idle timeouts. */
  public ServerSettings(String host, int port, Optional<TlsFiles> tls, Map<String, String> tokens,
      Duration heartbeat, int chunkValues, long maxUpdateValues, int maxConcurrentUploads, Duration uploadWait,
      String model, String strategy, String runId) {
    this(host, port, tls, tokens, heartbeat, chunkValues, maxUpdateValues, maxConcurrentUploads, uploadWait, model,
        strategy, runId, DEFAULT_HELLO_TIMEOUT, DEFAULT_UPLOAD_IDLE_TIMEOUT);
  }

  private static boolean positive(Duration d) {
    return d != null && !d.isNegative() && !d.isZero();
  }

  /** Plaintext on 127.0.0.1, no tokens, 1 s heartbeats, 1 MiB chunks, 2 concurrent uploads. */
  public static ServerSettings loopback(int port, String model, String strategy) {
    return new ServerSettings("127.0.0.1", port, Optional.empty(), Map.of(), Duration.ofSeconds(1),
        Payloads.DEFAULT_CHUNK_VALUES, 1L << 31, 2, Duration.ofMinutes(10), model, strategy, "run");
  }

  /** True when clients prove who they are (tokens or mutual TLS); otherwise client ids are taken on trust. */
  public boolean authenticatesClients() {
    return !tokens.isEmpty() || tls.flatMap(TlsFiles::trust).isPresent();
  }

  public ServerSettings withTls(TlsFiles files) {
    return new ServerSettings(host, port, Optional.of(files), tokens, heartbeat, chunkValues, maxUpdateValues,
        maxConcurrentUploads, uploadWait, model, strategy, runId, helloTimeout, uploadIdleTimeout, lanePort);
  }

  public ServerSettings withTokens(Map<String, String> t) {
    return new ServerSettings(host, port, tls, t, heartbeat, chunkValues, maxUpdateValues, maxConcurrentUploads,
        uploadWait, model, strategy, runId, helloTimeout, uploadIdleTimeout, lanePort);
  }

  public ServerSettings withLimits(long maxValues, int uploads, Duration wait) {
    return new ServerSettings(host, port, tls, tokens, heartbeat, chunkValues, maxValues, uploads, wait, model,
        strategy, runId, helloTimeout, uploadIdleTimeout, lanePort);
  }

  public ServerSettings withHeartbeat(Duration hb) {
    return new ServerSettings(host, port, tls, tokens, hb, chunkValues, maxUpdateValues, maxConcurrentUploads,
        uploadWait, model, strategy, runId, helloTimeout, uploadIdleTimeout, lanePort);
  }

  /** These Hello and upload-idle timeouts. */
  public ServerSettings withTimeouts(Duration hello, Duration uploadIdle) {
    return new ServerSettings(host, port, tls, tokens, heartbeat, chunkValues, maxUpdateValues, maxConcurrentUploads,
        uploadWait, model, strategy, runId, hello, uploadIdle, lanePort);
  }
}
