package dev.starling.transport.grpc.server;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.Shutdown;
import dev.starling.transport.grpc.proto.Welcome;
import io.grpc.InsecureServerCredentials;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.TlsServerCredentials;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * The networked side of a federated server: a gRPC endpoint that clients dial, and the
 * {@link ClientPool} of connected clients that the shared {@link dev.starling.server.RoundLoop} drives.
 * Use {@link #wrap(Strategy)} around the run's strategy so that upload slots are handed back as soon as
 * each update has been folded (see {@link UploadGate}), and run the loop with
 * {@link dev.starling.server.FoldOrder#ARRIVAL}.
 *
 * <p>Order of use: construct, {@link #start()}, run the round loop, {@link #finish(String)}, {@link #close()}.
 * Thread-safe.
 */
public final class FederationServer implements AutoCloseable {
  /** The protocol version this server speaks (starling.v1). */
  public static final int PROTOCOL_VERSION = 1;
  private static final System.Logger LOG = System.getLogger(FederationServer.class.getName());

  private final ServerSettings settings;
  private final UploadGate gate;
  private final Map<ClientId, RemoteClient> clients = new ConcurrentHashMap<>();
  private final Map<ClientId, UploadGate.Slot> unfolded = new ConcurrentHashMap<>();
  private final Set<String> everSeen = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "starling-heartbeat-reaper");
    t.setDaemon(true);
    return t;
  });
  private volatile int currentRound = 1;
  private volatile SecAggCoordinator secagg;
  private volatile String clientDp = "";
  private volatile boolean clientDpSeededNoise;
  private Server server;

  public FederationServer(ServerSettings settings) {
    this.settings = settings;
    this.gate = new UploadGate(settings.maxConcurrentUploads());
  }

  /** Binds and starts serving; returns this. */
  public FederationServer start() {
    ServerCredentials creds = credentials(settings.tls().orElse(null));
    server = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()), creds)
        .addService(ServerInterceptors.intercept(new Service(), new TokenAuthInterceptor(settings.tokens())))
        .permitKeepAliveTime(5, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
    }
    long hb = settings.heartbeat().toMillis();
    reaper.scheduleAtFixedRate(this::reap, hb, hb, TimeUnit.MILLISECONDS);
    return this;
  }

  private static ServerCredentials credentials(TlsFiles tls) {
    if (tls == null) {
      return InsecureServerCredentials.create();
    }
    try {
      TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(
          tls.certChain().orElseThrow(() -> new IllegalArgumentException("TLS on the server needs a certificate")).toFile(),
          tls.privateKey().orElseThrow().toFile());
      if (tls.trust().isPresent()) {
        b.trustManager(tls.trust().get().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
    }
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server.getPort();
  }

  public ServerSettings settings() {
    return settings;
  }

  UploadGate gate() {
    return gate;
  }

  int currentRound() {
    return currentRound;
  }

  /** Tells clients (in Welcome) and evaluation tasks which round the run is at. */
  public void setRound(int round) {
    currentRound = round;
  }

  /** The connected clients, for the round loop. */
  public ClientPool pool() {
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

  /** Ids of every client that ever completed the handshake (the client registry), sorted. */
  public Set<String> registry() {
    return new TreeSet<>(everSeen);
  }

  /** Restores the registry from a checkpoint. */
  public void restoreRegistry(Set<String> ids) {
    everSeen.addAll(ids);
  }

  /** Upload slots in use (for tests). */
  public int uploadsInFlight() {
    return gate.inUse();
  }

  /** The most updates ever held in full at the same time (bounded by max-concurrent-uploads). */
  public int peakUploadsInFlight() {
    return gate.peakInUse();
  }

  void awaitingFold(ClientId client, UploadGate.Slot slot) {
    UploadGate.Slot old = unfolded.put(client, slot);
    if (old != null) {
      old.release();
    }
  }

  private void folded(ClientId client) {
    UploadGate.Slot s = unfolded.remove(client);
    if (s != null) {
      s.release();
    }
  }

  /**
   * Tells every client, in its {@code Welcome}, to apply {@code spec} (e.g. {@code local:1.0,0.8}: clip its
   * update and add Gaussian noise) before its update leaves its process; the server side of the same
   * privacy (accounting, budget) is the strategy's. Call before {@link #start()} lets clients in, or at
   * least before round 1.
   */
  public void requireClientDp(String spec, boolean seededNoise) {
    this.clientDp = java.util.Objects.requireNonNull(spec, "spec");
    this.clientDpSeededNoise = seededNoise;
  }

  /**
   * Runs every training round under secure aggregation: from now on a training task goes only to clients
   * that speak {@value SecAggSettings#CAPABILITY}, and {@link #wrap} puts the networked secure aggregation
   * decorator around the strategy, so the server never receives an individual update in the clear. Call
   * before {@link #wrap} and before round 1.
   */
  public void enableSecureAggregation(SecAggSettings s) {
    SecAggCoordinator old = secagg;
    secagg = new SecAggCoordinator(s);
    if (old != null) {
      old.close();
    }
  }

  SecAggCoordinator secAgg() {
    return secagg;
  }

  /**
   * Decorates the run's strategy so that each update's upload slot is released as soon as the update
   * has been folded, and any left over (updates the loop discarded) when the round's aggregation ends.
   */
  public Strategy wrap(Strategy strategy) {
    SecAggCoordinator sa = secagg;
    Strategy inside = sa == null ? strategy : new SecureAggregationOverGrpc(strategy, sa);
    return new ForwardingStrategy(inside) {
      @Override
      public Aggregation beginAggregation(int round, ParameterSet global) {
        setRound(round);
        Aggregation inner = super.beginAggregation(round, global);
        return new Aggregation() {
          @Override
          public void accept(ClientId client, TrainResult result) {
            try {
              inner.accept(client, result);
            } finally {
              folded(client);
            }
          }

          @Override
          public AggregateResult finish(List<ClientFailure> failures) {
            for (ClientId c : List.copyOf(unfolded.keySet())) {
              folded(c);
            }
            return inner.finish(failures);
          }
        };
      }
    };
  }

  private void reap() {
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

  private void drop(RemoteClient c, String why, Status status) {
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

  private final Map<RemoteClient, ServerCallStreamObserver<ServerMessage>> streams = new ConcurrentHashMap<>();

  /** Tells every connected client that the run is over, waits briefly for the messages to leave. */
  public void finish(String reason) {
    ServerMessage bye = ServerMessage.newBuilder()
        .setShutdown(Shutdown.newBuilder().setReason(reason).setRunComplete(true)).build();
    for (RemoteClient c : clients.values()) {
      c.outbox().send(bye);
      c.outbox().completeAfterQueued();
    }
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(2);
    while (System.nanoTime() < end && clients.values().stream().anyMatch(RemoteClient::alive)) {
      try {
        Thread.sleep(20);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  @Override
  public void close() {
    reaper.shutdownNow();
    if (secagg != null) {
      secagg.close();
    }
    for (RemoteClient c : clients.values()) {
      drop(c, "server shutting down", null);
    }
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
  }

  private final class Service extends FederationGrpc.FederationImplBase {
    @Override
    public StreamObserver<ClientMessage> session(StreamObserver<ServerMessage> responses) {
      ServerCallStreamObserver<ServerMessage> stream = (ServerCallStreamObserver<ServerMessage>) responses;
      String authenticated = TokenAuthInterceptor.CLIENT_ID.get();
      // the on-ready handler can only be installed before this method returns
      var outbox = new dev.starling.transport.grpc.wire.Outbox<ServerMessage>(stream, ServerMessage::getSerializedSize,
          "starling-send-" + (authenticated == null ? "client" : authenticated));
      return new StreamObserver<>() {
        private RemoteClient client;

        @Override
        public void onNext(ClientMessage m) {
          if (client == null) {
            if (!m.hasHello()) {
              fail(Status.FAILED_PRECONDITION.withDescription("the first message must be Hello, got " + m.getBodyCase()));
              return;
            }
            hello(m);
            return;
          }
          client.onMessage(m);
        }

        private void hello(ClientMessage m) {
          var h = m.getHello();
          if (h.getProtocolVersion() != PROTOCOL_VERSION) {
            fail(Status.FAILED_PRECONDITION.withDescription("client speaks protocol v" + h.getProtocolVersion()
                + ", this server speaks v" + PROTOCOL_VERSION));
            return;
          }
          String id = h.getClientId();
          if (id.isBlank()) {
            fail(Status.INVALID_ARGUMENT.withDescription("Hello.client_id is empty"));
            return;
          }
          if (authenticated != null && !id.equals(authenticated)
              && (!settings.tokens().isEmpty() || settings.tls().flatMap(TlsFiles::trust).isPresent())) {
            LOG.log(Level.WARNING, "client authenticated as {0} said Hello as {1}; refused", authenticated, id);
            fail(Status.PERMISSION_DENIED.withDescription("authenticated as '" + authenticated + "' but Hello says '" + id + "'"));
            return;
          }
          ClientId cid = new ClientId(id);
          // Welcome goes out before the client joins the pool, so no task can overtake it
          outbox.send(ServerMessage.newBuilder().setWelcome(Welcome.newBuilder().setProtocolVersion(PROTOCOL_VERSION)
              .setModel(settings.model()).setStrategy(settings.strategy()).setRunId(settings.runId())
              .setClientDp(clientDp).setClientDpSeededNoise(clientDpSeededNoise)
              .setHeartbeatMillis((int) settings.heartbeat().toMillis()).setNextRound(currentRound)).build());
          client = new RemoteClient(cid, outbox, FederationServer.this, h.getCapabilitiesList());
          streams.put(client, stream);
          RemoteClient old = clients.put(cid, client);
          if (old != null) {
            drop(old, "replaced by a new connection of the same client", Status.ALREADY_EXISTS
                .withDescription("a newer session of client " + id + " replaced this one"));
          }
          everSeen.add(id);
          LOG.log(Level.INFO, "client {0} connected (attempt {1})", id, h.getAttempt());
        }

        private void fail(Status s) {
          outbox.close();
          synchronized (stream) {
            stream.onError(s.asRuntimeException());
          }
        }

        @Override
        public void onError(Throwable t) {
          outbox.close();
          if (client != null) {
            LOG.log(Level.INFO, "client {0} disconnected: {1}", client.id(), Status.fromThrowable(t));
            drop(client, "connection lost (" + Status.fromThrowable(t).getCode() + ")", null);
          }
        }

        @Override
        public void onCompleted() {
          if (client != null) {
            drop(client, "client closed its session", null);
          }
          try {
            synchronized (stream) {
              stream.onCompleted();
            }
          } catch (RuntimeException ignored) {
            // already closed
          }
        }
      };
    }
  }

}
