package dev.starling.vertical.link;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.vertical.proto.Frame;
import dev.starling.vertical.proto.VerticalLinkGrpc;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerBuilder;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The listening party's end of the vertical link: serves {@code VerticalLink} on a server built from the
 * caller's {@link ServerBuilder} (a port, TLS credentials: the caller's choice) and hands out the one peer
 * that connects ({@link #accept}). A second connection is refused with FAILED_PRECONDITION; with a non-empty
 * token, a call without {@code authorization: Bearer TOKEN} is refused with UNAUTHENTICATED. Thread-safe.
 */
public final class LinkListener implements AutoCloseable {
  private final Server server;
  private final BlockingQueue<GrpcLink> accepted = new LinkedBlockingQueue<>();
  private final AtomicBoolean taken = new AtomicBoolean();
  private final Duration receiveTimeout;

  /** Starts serving on {@code builder}'s address. */
  public LinkListener(ServerBuilder<?> builder, String token, Duration receiveTimeout) {
    this.receiveTimeout = receiveTimeout;
    VerticalLinkGrpc.VerticalLinkImplBase service = new VerticalLinkGrpc.VerticalLinkImplBase() {
      @Override
      public StreamObserver<Frame> connect(StreamObserver<Frame> responses) {
        if (!taken.compareAndSet(false, true)) {
          responses.onError(Status.FAILED_PRECONDITION.withDescription("this party already has a peer").asRuntimeException());
          return new StreamObserver<>() {
            @Override
            public void onNext(Frame value) {}

            @Override
            public void onError(Throwable t) {}

            @Override
            public void onCompleted() {}
          };
        }
        GrpcLink link = new GrpcLink("the connecting party", LinkListener.this.receiveTimeout);
        link.attach(responses);
        accepted.offer(link);
        return link.incoming();
      }
    };
    try {
      this.server = builder.addService(ServerInterceptors.intercept(service, tokenCheck(token))).build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot start the vertical link listener: " + e.getMessage(), e);
    }
  }

  /** The bound port. */
  public int port() {
    return server.getPort();
  }

  /** Waits up to {@code wait} for the peer to connect. */
  public PartyLink accept(Duration wait) {
    try {
      GrpcLink link = accepted.poll(wait.toNanos(), TimeUnit.NANOSECONDS);
      if (link == null) {
        throw new FlException(ErrorCode.DEADLINE_EXCEEDED, "no party connected to port " + port() + " within " + wait);
      }
      return link;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlException(ErrorCode.CANCELLED, "interrupted while waiting for the peer", e);
    }
  }

  private static ServerInterceptor tokenCheck(String token) {
    byte[] expected = ("Bearer " + token).getBytes(StandardCharsets.US_ASCII);
    return new ServerInterceptor() {
      @Override
      public <Q, R> ServerCall.Listener<Q> interceptCall(ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
        if (!token.isEmpty()) {
          String got = headers.get(GrpcLink.AUTHORIZATION);
          if (got == null || !MessageDigest.isEqual(expected, got.getBytes(StandardCharsets.US_ASCII))) {
            call.close(Status.UNAUTHENTICATED.withDescription(got == null
                ? "missing authorization: Bearer TOKEN (start the connecting party with --token)"
                : "wrong token"), new Metadata());
            return new ServerCall.Listener<>() {};
          }
        }
        return next.startCall(call, headers);
      }
    };
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
