package dev.starling.transport.grpc.server;

import dev.starling.core.message.ClientId;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.Shutdown;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The server's client registry: its one job is to know who is connected. It holds the sessions that have not
 * said Hello yet, the connected {@link RemoteClient}s and their streams, and the ids of every client that ever
 * completed the handshake; it admits a client (refusing a second live session of the same id when the server
 * cannot authenticate clients), drops clients, and applies the heartbeat, Hello and upload-idle timeouts at
 * the {@link Ticker}'s reading ({@link #checkTimeouts()}). Thread-safe.
 */
final class ClientRegistry {
  private static final System.Logger LOG = System.getLogger(FederationServer.class.getName());
  /** How long {@link #finish} waits, on the server's ticker, for clients to take the run's end and disconnect. */
  static final java.time.Duration FINISH_GRACE = java.time.Duration.ofSeconds(2);

  /** A session that has opened but not said Hello yet; the registry closes it when the Hello timeout passes. */
  interface PendingSession {
    /** The Hello timeout has passed; close the session unless it said Hello meanwhile. */
    void helloTimedOut();
  }

  private final ServerSettings settings;
  private final Ticker ticker;
  private final Object lock = new Object();
  /** Sessions that have not said Hello yet, with the tick at which they opened. */
  private final Map<PendingSession, Long> awaitingHello = new ConcurrentHashMap<>();
  private final Map<ClientId, RemoteClient> clients = new ConcurrentHashMap<>();
  private final Map<RemoteClient, ServerCallStreamObserver<ServerMessage>> streams = new ConcurrentHashMap<>();
  private final Set<String> everSeen = ConcurrentHashMap.newKeySet();

  ClientRegistry(ServerSettings settings, Ticker ticker) {
    this.settings = settings;
    this.ticker = ticker;
  }

  /** Records that {@code session} opened now and must say Hello within the Hello timeout. */
  void opened(PendingSession session) {
    awaitingHello.put(session, ticker.nanos());
  }

  /** {@code session} said Hello (or ended): it no longer waits for the Hello timeout. */
  void helloDone(PendingSession session) {
    awaitingHello.remove(session);
  }

  /** Whether {@code session} still waits for its Hello. */
  boolean awaitingHello(PendingSession session) {
    return awaitingHello.containsKey(session);
  }

  /** Open sessions that have not said Hello yet. */
  int sessionsAwaitingHello() {
    return awaitingHello.size();
  }

  /** What {@link #admit} did. */
  record Admission(RemoteClient joined, String refusal) {}

  /**
   * Admits client {@code id}: unless the server runs without authentication and the id's current session is
   * alive (then the newcomer is refused: it cannot prove it is the same client), calls {@code welcome} (which
   * sends the Welcome, so that no task can overtake it) and {@code create}, and registers the new client
   * with {@code stream}. A previous session of the same id is dropped after the new one has joined.
   */
  Admission admit(ClientId id, ServerCallStreamObserver<ServerMessage> stream, Runnable welcome,
      Supplier<RemoteClient> create) {
    RemoteClient old;
    RemoteClient joined;
    synchronized (lock) {
      old = clients.get(id);
      if (old != null && !settings.authenticatesClients() && old.alive() && !old.missedHeartbeats()) {
        // without authentication the newcomer cannot prove it is the same client: never let it take over
        LOG.log(Level.WARNING, "refused a second session for client {0}: its first session is alive"
            + " (the server runs without authentication)", id.value());
        return new Admission(null, "client id '" + id.value() + "' is already connected in a live session;"
            + " this server runs without authentication, so a second session cannot take it over"
            + " (retry once the first session has ended)");
      }
      welcome.run();
      joined = create.get();
      streams.put(joined, stream);
      clients.put(id, joined);
    }
    if (old != null) {
      drop(old, "replaced by a new connection of the same client", Status.ALREADY_EXISTS
          .withDescription("a newer session of client " + id.value() + " replaced this one"));
    }
    everSeen.add(id.value());
    return new Admission(joined, null);
  }

  /** The connected clients, for the round loop. */
  ClientPool pool() {
    return () -> {
      List<ClientProxy> out = new ArrayList<>();
      for (RemoteClient c : clients.values()) {
        if (c.alive()) {
          out.add(c);
        }
      }
      return out;
    };
  }

  /** Ids of every client that ever completed the handshake, sorted. */
  Set<String> everSeen() {
    return new TreeSet<>(everSeen);
  }

  /** Restores the ids of clients seen before (from a checkpoint). */
  void restore(Set<String> ids) {
    everSeen.addAll(ids);
  }

  /**
   * Applies every timeout at the ticker's current reading: drops clients silent for 3 heartbeats, closes
   * sessions that have not said Hello within the Hello timeout, and fails uploads that hold a slot but
   * sent nothing within the upload-idle timeout.
   */
  void checkTimeouts() {
    long now = ticker.nanos();
    long helloLimit = settings.helloTimeout().toNanos();
    for (Map.Entry<PendingSession, Long> e : awaitingHello.entrySet()) {
      if (now - e.getValue() > helloLimit) {
        e.getKey().helloTimedOut();
      }
    }
    long idleLimit = settings.uploadIdleTimeout().toNanos();
    for (RemoteClient c : clients.values()) {
      c.expireStalledUploads(now, idleLimit);
    }
    long limit = settings.heartbeat().toNanos() * 3;
    for (RemoteClient c : clients.values()) {
      if (c.alive() && c.silentNanos() > limit) {
        String why = "no message for " + (c.silentNanos() / 1_000_000) + " ms (heartbeat every "
            + settings.heartbeat().toMillis() + " ms)";
        LOG.log(Level.WARNING, "dropping client {0}: {1}", c.id(), why);
        drop(c, why, Status.UNAVAILABLE.withDescription(why));
      }
    }
  }

  /** Drops {@code c} for {@code why}; with a {@code status}, also ends its stream with it. */
  void drop(RemoteClient c, String why, Status status) {
    clients.remove(c.id(), c);
    c.die(why);
    if (status != null) {
      ServerCallStreamObserver<ServerMessage> s = streams.remove(c);
      if (s != null) {
        try {
          synchronized (s) {
            s.onError(status.asRuntimeException());
          }
        } catch (RuntimeException ignored) {
          // already closed
        }
      }
    }
  }

  /**
   * Tells every connected client that the run is over and waits up to {@link #FINISH_GRACE} on the server's
   * ticker (polling every 20 ms of wall time) for them to disconnect.
   */
  void finish(String reason) {
    ServerMessage bye = ServerMessage.newBuilder()
        .setShutdown(Shutdown.newBuilder().setReason(reason).setRunComplete(true)).build();
    for (RemoteClient c : clients.values()) {
      c.outbox().send(bye);
      c.outbox().completeAfterQueued();
    }
    long end = ticker.nanos() + FINISH_GRACE.toNanos(); // the server's ticker, as every other deadline here
    while (ticker.nanos() - end < 0 && clients.values().stream().anyMatch(RemoteClient::alive)) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Drops every client without telling it (the server is shutting down). */
  void dropAll(String why) {
    for (RemoteClient c : clients.values()) {
      drop(c, why, null);
    }
  }
}
