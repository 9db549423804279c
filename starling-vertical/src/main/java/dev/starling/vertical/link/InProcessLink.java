package dev.starling.vertical.link;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two linked ends in one JVM (simulation mode and tests): what one end sends, the other receives, in order.
 * Messages are copied on send, so neither party can change what the other holds. Thread-safe.
 */
public final class InProcessLink implements PartyLink {
  private static final byte[] CLOSED = new byte[0];

  private final String peer;
  private final BlockingQueue<byte[]> inbox;
  private final BlockingQueue<byte[]> outbox;
  private final Duration timeout;
  private final AtomicLong sent = new AtomicLong();
  private final AtomicLong received = new AtomicLong();
  private volatile boolean closed;

  private InProcessLink(String peer, BlockingQueue<byte[]> inbox, BlockingQueue<byte[]> outbox, Duration timeout) {
    this.peer = peer;
    this.inbox = inbox;
    this.outbox = outbox;
    this.timeout = timeout;
  }

  /** Two joined ends, {@code [a, b]}: a's messages go to b and b's to a. */
  public static InProcessLink[] pair(String a, String b, Duration receiveTimeout) {
    BlockingQueue<byte[]> ab = new LinkedBlockingQueue<>();
    BlockingQueue<byte[]> ba = new LinkedBlockingQueue<>();
    return new InProcessLink[] {new InProcessLink(b, ba, ab, receiveTimeout), new InProcessLink(a, ab, ba, receiveTimeout)};
  }

  @Override
  public void send(byte[] message) {
    if (closed) {
      throw new FlException(ErrorCode.UNAVAILABLE, "link to " + peer + " is closed");
    }
    sent.addAndGet(message.length);
    outbox.add(message.clone());
  }

  @Override
  public byte[] receive() {
    byte[] m;
    try {
      m = inbox.poll(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlException(ErrorCode.CANCELLED, "interrupted while waiting for " + peer, e);
    }
    if (m == null) {
      throw new FlException(ErrorCode.DEADLINE_EXCEEDED, "no message from " + peer + " within " + timeout);
    }
    if (m == CLOSED) {
      inbox.add(CLOSED);
      throw new FlException(ErrorCode.UNAVAILABLE, peer + " closed the link");
    }
    received.addAndGet(m.length);
    return m;
  }

  @Override
  public long bytesSent() {
    return sent.get();
  }

  @Override
  public long bytesReceived() {
    return received.get();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      outbox.add(CLOSED);
    }
  }
}
