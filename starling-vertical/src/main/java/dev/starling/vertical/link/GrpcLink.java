package dev.starling.vertical.link;

import com.google.protobuf.ByteString;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.vertical.proto.Frame;
import dev.starling.vertical.proto.VerticalLinkGrpc;
import io.grpc.Channel;
import io.grpc.ClientInterceptors;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.stub.MetadataUtils;
import io.grpc.stub.StreamObserver;
import java.io.ByteArrayOutputStream;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One end of the {@code starling.vertical.v1.VerticalLink} stream as a {@link PartyLink}. Messages are cut
 * into frames of at most {@link #FRAME_BYTES} and put together again on arrival. The dialling end is made by
 * {@link #connect}; the listening end by {@link LinkListener}. Thread-safe for one sender and one receiver.
 */
public final class GrpcLink implements PartyLink {
  /** The version of the link schema this code speaks. */
  public static final int LINK_VERSION = 1;
  /** The largest slice of a message in one frame. */
  public static final int FRAME_BYTES = 1 << 20;
  /** Metadata key of the shared token ({@code authorization: Bearer TOKEN}). */
  public static final Metadata.Key<String> AUTHORIZATION = Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);


  private final String peer;
  private final Duration timeout;
  private final Inbox inbox;
  private final AtomicLong sent = new AtomicLong();
  private final ByteArrayOutputStream partial = new ByteArrayOutputStream();
  private volatile StreamObserver<Frame> outgoing;
  private boolean versionChecked;
  private boolean closed;

  GrpcLink(String peer, Duration timeout) {
    this.peer = peer;
    this.timeout = timeout;
    this.inbox = new Inbox(peer);
  }

  /**
   * Dials the listening party on {@code channel} (the caller owns and shuts down the channel); {@code token}
   * is sent as a bearer token when not empty. The call waits for the listener to come up (wait-for-ready), so
   * either party may start first; an unreachable listener shows as a receive timeout.
   */
  public static GrpcLink connect(Channel channel, String token, Duration receiveTimeout) {
    Channel c = channel;
    if (!token.isEmpty()) {
      Metadata md = new Metadata();
      md.put(AUTHORIZATION, "Bearer " + token);
      c = ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(md));
    }
    GrpcLink link = new GrpcLink("the listening party", receiveTimeout);
    link.outgoing = VerticalLinkGrpc.newStub(c).withWaitForReady().connect(link.incoming());
    return link;
  }

  void attach(StreamObserver<Frame> out) {
    this.outgoing = out;
  }

  /** The observer that receives the peer's frames. */
  StreamObserver<Frame> incoming() {
    return new StreamObserver<>() {
      @Override
      public void onNext(Frame f) {
        synchronized (partial) {
          if (!versionChecked) {
            versionChecked = true;
            if (f.getLinkVersion() != LINK_VERSION) {
              String why = peer + " speaks link version " + f.getLinkVersion() + "; this party speaks " + LINK_VERSION;
              outgoing.onError(Status.FAILED_PRECONDITION.withDescription(why).asRuntimeException());
              finish(why);
              return;
            }
          }
          partial.writeBytes(f.getPayload().toByteArray());
          if (!f.getMore()) {
            inbox.add(partial.toByteArray());
            partial.reset();
          }
        }
      }

      @Override
      public void onError(Throwable t) {
        Status s = Status.fromThrowable(t);
        finish(peer + " ended the link: " + s.getCode() + (s.getDescription() == null ? "" : " " + s.getDescription()));
      }

      @Override
      public void onCompleted() {
        finish(peer + " closed the link");
      }
    };
  }

  private void finish(String reason) {
    inbox.close(reason);
  }

  @Override
  public synchronized void send(byte[] message) {
    String closeReason = inbox.closeReason();
    if (closed || closeReason != null) {
      throw new FlException(ErrorCode.UNAVAILABLE, closeReason != null ? closeReason : "link to " + peer + " is closed");
    }
    int off = 0;
    do {
      int len = Math.min(FRAME_BYTES, message.length - off);
      outgoing.onNext(Frame.newBuilder().setLinkVersion(LINK_VERSION)
          .setPayload(ByteString.copyFrom(message, off, len)).setMore(off + len < message.length).build());
      off += len;
    } while (off < message.length);
    sent.addAndGet(message.length);
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
  public synchronized void close() {
    if (!closed) {
      closed = true;
      if (inbox.closeReason() == null) {
        try {
          outgoing.onCompleted();
        } catch (RuntimeException ignored) {
          // the stream is already gone
        }
      }
    }
  }
}
