package dev.starling.vertical.link;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Two linked ends in one JVM (simulation mode and tests): what one end sends, the other receives, in order.
 * Messages are copied on send, so neither party can change what the other holds. Thread-safe.
 */
public final class InProcessLink implements PartyLink {
  private final String peer;
  private final String self;
  private final Inbox inbox;
  private final Inbox outbox;
  private final Duration timeout;
  private final AtomicLong sent = new AtomicLong();
  private volatile boolean closed;

  private InProcessLink(String self, String peer, Inbox inbox, Inbox outbox, Duration timeout) {
    this.self = self;
    this.peer = peer;
    this.inbox = inbox;
    this.outbox = outbox;
    this.timeout = timeout;
  }

  /** Two joined ends, {@code [a, b]}: a's messages go to b and b's to a. */
  public static InProcessLink[] pair(String a, String b, Duration receiveTimeout) {
    Inbox toB = new Inbox(a);
    Inbox toA = new Inbox(b);
    return new InProcessLink[] {new InProcessLink(a, b, toA, toB, receiveTimeout),
        new InProcessLink(b, a, toB, toA, receiveTimeout)};
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
    return inbox.receive(timeout);
  }

  @Override
  public long bytesSent() {
    return sent.get();
  }

  @Override
  public long bytesReceived() {
    return inbox.bytesReceived();
  }

  @Override
  public void close() {
    if (!closed) {
      closed = true;
      outbox.close(self + " closed the link");
    }
  }
}
