package dev.starling.vertical.link;

/**
 * An ordered, reliable message channel between the two parties of a vertical protocol, counting the bytes
 * each way (what the benchmarks report as traffic). {@link InProcessLink} joins two parties in one JVM;
 * {@link GrpcLink} joins two processes over the {@code starling.vertical.v1.VerticalLink} service.
 *
 * <p>One thread sends and receives on a link at a time (the protocols are sequential); the byte counters may
 * be read from any thread.
 */
public interface PartyLink extends AutoCloseable {
  /** Sends one message; returns once it is queued (never waits for the peer to read it). */
  void send(byte[] message);

  /**
   * The next message from the peer, waiting at most the link's receive timeout; a closed link or a timeout
   * is a {@link dev.starling.core.error.FlException} (UNAVAILABLE or DEADLINE_EXCEEDED) naming the peer.
   */
  byte[] receive();

  /** Payload bytes sent so far. */
  long bytesSent();

  /** Payload bytes received so far. */
  long bytesReceived();

  /** Closes this end; the peer's next receive fails once it has read what was sent. */
  @Override
  void close();
}
