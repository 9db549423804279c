package dev.starling.vertical.link;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A link end's incoming messages, in order: a receive waits up to a timeout, and once the stream is
 * {@link #close closed} every receive after the queued messages fails with the reason. Counts the bytes
 * received. Thread-safe.
 */
final class Inbox {
  private static final byte[] CLOSED = new byte[0];

  private final String peer;
  private final BlockingQueue<byte[]> queue = new LinkedBlockingQueue<>();
  private final AtomicLong received = new AtomicLong();
  private volatile String closeReason;

  /** An inbox of messages from {@code peer} (named in errors). */
  Inbox(String peer) {
    this.peer = peer;
  }

  void add(byte[] message) {
    queue.add(message);
  }

  /** Ends the stream after the messages already queued; the first reason given is the one receives report. */
  synchronized void close(String reason) {
    if (closeReason == null) {
      closeReason = reason;
      queue.add(CLOSED);
    }
  }

  /** Why the stream ended, or null while it is open. */
  String closeReason() {
    return closeReason;
  }

  /**
   * The next message.
   *
   * @throws FlException DEADLINE_EXCEEDED when none comes within {@code timeout}, UNAVAILABLE after the stream
   *     ended, CANCELLED when interrupted
   */
  byte[] receive(Duration timeout) {
    byte[] m;
    try {
      m = queue.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlException(ErrorCode.CANCELLED, "interrupted while waiting for " + peer, e);
    }
    if (m == null) {
      throw new FlException(ErrorCode.DEADLINE_EXCEEDED, "no message from " + peer + " within " + timeout);
    }
    if (m == CLOSED) {
      queue.add(CLOSED);
      throw new FlException(ErrorCode.UNAVAILABLE, closeReason);
    }
    received.addAndGet(m.length);
    return m;
  }

  long bytesReceived() {
    return received.get();
  }
}
