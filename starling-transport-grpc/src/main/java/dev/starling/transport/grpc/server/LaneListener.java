package dev.starling.transport.grpc.server;

import dev.starling.transport.grpc.wire.ByteLane;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.nio.channels.ClosedChannelException;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.function.Predicate;
import java.lang.System.Logger.Level;

/**
 * The server's byte-lane port (protocol v1.7, {@link ByteLane}): sessions register an offer (a lane id and a
 * random token, sent in their Welcome); a client that connects with both gets its lane bound to its session and
 * is told so. An opening with an unknown id or a wrong token, too slow (longer than the Hello timeout) or
 * malformed is closed without an answer, and the offer stays for the right client; at most
 * {@value #MAX_OPENINGS} openings are read at once, further connections are closed at once. Threads: one
 * platform thread accepts ({@code starling-server-lane-accept}), a virtual thread reads each opening.
 */
final class LaneListener implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(LaneListener.class.getName());
  static final int MAX_OPENINGS = 256;
  private static final SecureRandom IDS = new SecureRandom();

  /** One session's offer; {@code bind} ties an opened lane to it and says whether it took it. */
  private record Offer(byte[] token, Predicate<ByteLane> bind) {}

  private final ServerSocketChannel listen;
  private final int port;
  private final Duration openingTimeout;
  private final Map<Long, Offer> offers = new ConcurrentHashMap<>();
  private final Semaphore openings = new Semaphore(MAX_OPENINGS);
  private final Thread acceptor;

  LaneListener(String host, int port, Duration openingTimeout) {
    this.openingTimeout = openingTimeout;
    try {
      listen = ServerSocketChannel.open();
      listen.bind(new InetSocketAddress(host, port));
      this.port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen for byte lanes on " + host + ":" + port + ": " + e.getMessage(), e);
    }
    acceptor = Thread.ofPlatform().daemon().name("starling-server-lane-accept").start(this::acceptLoop);
  }

  int port() {
    return port;
  }

  /**
   * Registers an offer and returns what the Welcome tells the client, or null once this listener is closed.
   * {@code bind} runs on the opening's thread when the client connects with the right token; the client is told
   * its lane is bound only if it returns true.
   */
  dev.starling.transport.grpc.proto.ByteLane offer(Predicate<ByteLane> bind) {
    if (!listen.isOpen()) {
      return null;
    }
    byte[] token = ByteLane.newToken();
    long id;
    do {
      id = IDS.nextLong();
    } while (offers.putIfAbsent(id, new Offer(token, bind)) != null);
    return dev.starling.transport.grpc.proto.ByteLane.newBuilder().setPort(port()).setLaneId(id)
        .setToken(com.google.protobuf.ByteString.copyFrom(token)).build();
  }

  /** Withdraws an offer that was not taken up (the session ended). */
  void withdraw(long laneId) {
    offers.remove(laneId);
  }

  /** Offers not taken up yet (tests). */
  int pendingOffers() {
    return offers.size();
  }

  private void acceptLoop() {
    while (listen.isOpen()) {
      SocketChannel ch;
      try {
        ch = listen.accept();
      } catch (ClosedChannelException e) {
        return;
      } catch (IOException e) {
        LOG.log(Level.WARNING, "byte lane accept failed: {0}", e.getMessage());
        continue;
      }
      if (!openings.tryAcquire()) {
        close(ch); // too many openings in flight
        continue;
      }
      Thread.ofVirtual().name("starling-server-lane-opening").start(() -> {
        try {
          open(ch);
        } finally {
          openings.release();
        }
      });
    }
  }

  private void open(SocketChannel ch) {
    try {
      ByteLane.Opening o = ByteLane.readOpening(ch, openingTimeout);
      Offer offer = offers.get(o.laneId());
      if (offer == null || !MessageDigest.isEqual(offer.token(), o.token()) || !offers.remove(o.laneId(), offer)) {
        LOG.log(Level.WARNING, "refused a byte lane opening from {0}: unknown lane or wrong token",
            ch.getRemoteAddress());
        close(ch);
        return;
      }
      ByteLane lane = ByteLane.accepted(ch);
      if (!offer.bind().test(lane)) {
        lane.close();
        return;
      }
      lane.acknowledge();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "byte lane opening failed: {0}", e.getMessage());
      close(ch);
    }
  }

  private static void close(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }

  @Override
  public void close() {
    try {
      listen.close();
    } catch (IOException ignored) {
      // closing anyway
    }
    acceptor.interrupt();
    offers.clear();
  }
}
