package dev.starling.transport.grpc.server;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
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
import dev.starling.transport.grpc.wire.Payloads;
import dev.starling.transport.grpc.wire.SubModelTerms;
import dev.starling.transport.grpc.wire.WireMarshalling;
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

  /** Longest client id accepted in Hello (ids end up in logs, metrics and checkpoints). */
  static final int MAX_CLIENT_ID_LENGTH = 128;

  private final ServerSettings settings;
  private final Ticker ticker;
  private final UploadGate gate;
  private final Object registryLock = new Object();
  /** Sessions that have not said Hello yet, with the tick at which they opened. */
  private final Map<Service.Session, Long> awaitingHello = new ConcurrentHashMap<>();
  private final Map<ClientId, RemoteClient> clients = new ConcurrentHashMap<>();
  private final Map<ClientId, UploadGate.Slot> unfolded = new ConcurrentHashMap<>();
  private final Set<String> everSeen = ConcurrentHashMap.newKeySet();
  private final ScheduledExecutorService reaper = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "starling-timeouts");
    t.setDaemon(true);
    return t;
  });
  private volatile int currentRound = 1;
  private volatile SecAggCoordinator secagg;
  private volatile GrpcSecureSum secureSum;
  private volatile String clientDp = "";
  private volatile boolean clientDpSeededNoise;
  private volatile double eventThreshold = Double.NaN; // NaN: the run is not event-triggered
  private volatile boolean agreeStatistics;
  private volatile SubModelTerms subModels;
  /** Standardisation statistics reported by clients (agreed standardisation), by client id; guarded by itself. */
  private final Map<String, dev.starling.transport.grpc.wire.FeatureSums> statistics = new java.util.LinkedHashMap<>();
  private volatile WireCompression wire;
  private volatile dev.starling.compression.BroadcastEncoder downlink;
  private Server server;

  public FederationServer(ServerSettings settings) {
    this(settings, Ticker.SYSTEM);
  }

  /**
   * A server whose heartbeat, Hello and upload-idle timeouts read {@code ticker}. They are checked
   * periodically (and whenever {@link #checkTimeouts()} is called, which is how tests drive a manual ticker).
   */
  public FederationServer(ServerSettings settings, Ticker ticker) {
    this.settings = settings;
    this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
    this.gate = new UploadGate(settings.maxConcurrentUploads());
  }

  Ticker ticker() {
    return ticker;
  }

  /** Binds and starts serving; returns this. */
  public FederationServer start() {
    ServerCredentials creds = credentials(settings.tls().orElse(null));
    server = NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()), creds)
        .addService(ServerInterceptors.intercept(WireMarshalling.serverSession(new Service().bindService()),
            new TokenAuthInterceptor(settings.tokens())))
        .permitKeepAliveTime(5, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .build();
    try {
      server.start();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
    }
    if (!settings.authenticatesClients()) {
      LOG.log(Level.WARNING, "server on {0}:{1} runs WITHOUT client authentication: client ids are taken on trust"
          + " (any client may claim any id that is not connected); use tokens or mutual TLS (--tokens, --tls-client-ca)",
          settings.host(), String.valueOf(port()));
    }
    long period = Math.max(10, Math.min(settings.heartbeat().toMillis(),
        Math.min(settings.helloTimeout().toMillis(), settings.uploadIdleTimeout().toMillis()) / 2));
    reaper.scheduleAtFixedRate(this::checkTimeoutsQuietly, period, period, TimeUnit.MILLISECONDS);
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

  /** Open sessions that have not said Hello yet (for tests). */
  int sessionsAwaitingHello() {
    return awaitingHello.size();
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

  /**
   * Releases the upload slot {@code client}'s last update holds (as folding it would): for the asynchronous
   * modes, whose driver keeps arrived updates in its own buffer until an aggregation, so that other clients
   * can upload meanwhile.
   */
  public void releaseUpload(ClientId client) {
    folded(client);
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
   * Has every client train a sub-model (protocol v1.4): the {@code Welcome} carries {@code terms}, a client
   * that does not list {@value SubModelTerms#CAPABILITY} is refused at Hello
   * (it would train, and with local DP privatise, the full model), and replies carry the trained-position
   * mask as an attachment, which the strategy (position-wise averaging) reads. Tasks still carry the full
   * global model. Call before {@link #start()}.
   */
  public void trainSubModels(SubModelTerms terms) {
    this.subModels = java.util.Objects.requireNonNull(terms, "terms");
  }

  /**
   * Makes the run event-triggered ({@code sync = event:THRESHOLD}, protocol v1.5): every client's {@code Welcome}
   * carries {@code threshold}, and the server accepts skip replies ({@code UpdateHeader.skipped}) to training
   * tasks, completing them with a {@link dev.starling.core.learner.EventTrigger#skip skip result} (no parameters,
   * {@link dev.starling.core.learner.EventTrigger#SKIPPED} = 1) that the asynchronous driver counts, not aggregates.
   * Call before {@link #start}.
   */
  public void triggerEvents(double threshold) {
    new dev.starling.core.learner.EventTrigger(threshold); // validates it
    this.eventThreshold = threshold;
  }

  /** Whether clients may answer training tasks with a skip ({@link #triggerEvents}). */
  boolean acceptsSkips() {
    return !Double.isNaN(eventThreshold);
  }

  /**
   * Asks every client, in its {@code Welcome}, for its standardisation statistics (row count, per-feature
   * sums and sums of squares of its raw training rows: {@code FeatureStatistics}), which
   * {@link #featureStatistics} and {@link #awaitFeatureStatistics} then return, so the caller can agree one
   * standardiser and send it back in the training tasks. The statistics arrive in the clear (inside TLS):
   * do not combine with secure aggregation. Call before {@link #start()}.
   */
  public void agreeStatistics() {
    this.agreeStatistics = true;
  }

  /** The statistics clients have reported so far, by client id (a copy). */
  public Map<String, dev.starling.transport.grpc.wire.FeatureSums> featureStatistics() {
    synchronized (statistics) {
      return Map.copyOf(statistics);
    }
  }

  /**
   * Waits until at least {@code clients} clients have reported their statistics or {@code timeout} has
   * passed, and returns those reported by then.
   */
  public Map<String, dev.starling.transport.grpc.wire.FeatureSums> awaitFeatureStatistics(int clients,
      java.time.Duration timeout) throws InterruptedException {
    long end = System.nanoTime() + timeout.toNanos();
    synchronized (statistics) {
      long left;
      while (statistics.size() < clients && (left = end - System.nanoTime()) > 0) {
        java.util.concurrent.TimeUnit.NANOSECONDS.timedWait(statistics, left);
      }
      return Map.copyOf(statistics);
    }
  }

  private void onStatistics(String client, dev.starling.transport.grpc.proto.FeatureStatistics p) {
    if (!agreeStatistics) {
      LOG.log(Level.WARNING, "client {0} sent standardisation statistics this run did not ask for; ignored", client);
      return;
    }
    dev.starling.transport.grpc.wire.FeatureSums f;
    try {
      f = dev.starling.transport.grpc.wire.FeatureSums.fromProto(p);
    } catch (IllegalArgumentException e) {
      LOG.log(Level.WARNING, "client {0} sent unusable standardisation statistics ({1}); it is not counted in the"
          + " agreement", new Object[] {client, e.getMessage()});
      return;
    }
    synchronized (statistics) {
      statistics.put(client, f);
      statistics.notifyAll();
    }
  }

  /**
   * Runs every training round under secure aggregation with settings {@code s}: as
   * {@link #enableSecureAggregation(GrpcSecureSum)} with a new secure sum, which is returned; put privacy's
   * {@link SecureAggregationStrategy} over it.
   */
  public GrpcSecureSum enableSecureAggregation(SecAggSettings s) {
    GrpcSecureSum sum = new GrpcSecureSum(s);
    enableSecureAggregation(sum);
    return sum;
  }

  /**
   * Runs every training round under secure aggregation over {@code sum}: from now on a training task goes only
   * to clients that speak {@value SecAggSettings#CAPABILITY}, and their masked inputs go to {@code sum}, which
   * privacy's {@link SecureAggregationStrategy} must decorate the run's strategy with (a round whose strategy
   * does not open the secure sum fails at once rather than fold receipts as updates), so the server never
   * receives an individual update in the clear. Call before round 1.
   */
  public void enableSecureAggregation(GrpcSecureSum sum) {
    if (wire != null) {
      throw new IllegalStateException("secure aggregation cannot be combined with wire compression: masked inputs"
          + " are sent as integers; refuse the combination before round 1");
    }
    SecAggCoordinator c = new SecAggCoordinator(sum.settings());
    sum.attach(c);
    SecAggCoordinator old = secagg;
    secagg = c;
    secureSum = sum;
    if (old != null) {
      old.close();
    }
  }

  /** The secure sum enabled on this server, if any. */
  public java.util.Optional<GrpcSecureSum> secureSum() {
    return java.util.Optional.ofNullable(secureSum);
  }

  SecAggCoordinator secAgg() {
    return secagg;
  }

  /**
   * Compresses the run's traffic as {@code w} says (see {@link WireCompression}): the Welcome tells every
   * client the codecs, a client that does not list {@value Payloads#CODEC_CAPABILITY} is refused at
   * Hello, training tasks carry the global model encoded once per round, and updates arrive encoded and
   * are decoded here one at a time within the upload slots. Not combinable with secure aggregation
   * (masked inputs are integers the codecs cannot compress). Call before {@link #start()}.
   */
  public void compressTraffic(WireCompression w) {
    java.util.Objects.requireNonNull(w, "w");
    if (secagg != null && w.active()) {
      throw new IllegalStateException("wire compression cannot be combined with secure aggregation: masked inputs"
          + " are sent as integers; refuse the combination before round 1");
    }
    wire = w.active() ? w : null;
    downlink = w.active() && !w.downlink().isIdentity()
        ? new dev.starling.compression.BroadcastEncoder(w.downlink(), w.seed()) : null;
  }

  /** The run's wire compression, or null when payloads travel as float32. */
  WireCompression wire() {
    return wire;
  }

  /** The downlink broadcast encoder, or null when the global model travels as float32. */
  dev.starling.compression.BroadcastEncoder downlink() {
    return downlink;
  }

  /**
   * Decorates the run's strategy so that each update's upload slot is released as soon as the update
   * has been folded, and any left over (updates the loop discarded) when the round's aggregation ends. Under
   * secure aggregation the strategy must be privacy's {@link SecureAggregationStrategy} over this server's
   * {@link GrpcSecureSum} (or decorate one).
   */
  public Strategy wrap(Strategy strategy) {
    return new ForwardingStrategy(strategy) {
      @Override
      public Aggregation beginAggregation(int round, ParameterSet global) {
        setRound(round);
        Aggregation inner = super.beginAggregation(round, global);
        SecAggCoordinator sa = secagg;
        if (sa != null && !sa.begun(round)) {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, "secure aggregation is enabled on this server, but the"
              + " strategy " + strategy.describe() + " did not open round " + round + "'s secure sum: decorate it with"
              + " SecureAggregationStrategy over the server's GrpcSecureSum; refusing to fold receipts as updates");
        }
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

  private void checkTimeoutsQuietly() {
    try {
      checkTimeouts();
    } catch (RuntimeException e) {
      LOG.log(Level.ERROR, "timeout check failed", e); // keep the periodic check alive
    }
  }

  /**
   * Applies every timeout at the ticker's current reading: drops clients silent for 3 heartbeats, closes
   * sessions that have not said Hello within the Hello timeout, and fails uploads that hold a slot but
   * sent nothing within the upload-idle timeout. Runs periodically; tests with a manual {@link Ticker}
   * call it after advancing the ticker. Thread-safe.
   */
  void checkTimeouts() {
    long now = ticker.nanos();
    long helloLimit = settings.helloTimeout().toNanos();
    for (Map.Entry<Service.Session, Long> e : awaitingHello.entrySet()) {
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
      Session session = new Session(stream, outbox, authenticated);
      awaitingHello.put(session, ticker.nanos());
      return session;
    }

    /** One client's stream; inbound callbacks arrive in order on gRPC's executor. */
    private final class Session implements StreamObserver<ClientMessage> {
      private final ServerCallStreamObserver<ServerMessage> stream;
      private final dev.starling.transport.grpc.wire.Outbox<ServerMessage> outbox;
      private final String authenticated;
      private volatile RemoteClient client;
      private boolean closed; // guarded by this: refused before or instead of Hello

      Session(ServerCallStreamObserver<ServerMessage> stream, dev.starling.transport.grpc.wire.Outbox<ServerMessage> outbox,
          String authenticated) {
        this.stream = stream;
        this.outbox = outbox;
        this.authenticated = authenticated;
      }

      @Override
      public void onNext(ClientMessage m) {
        RemoteClient c = client;
        if (c == null) {
          synchronized (this) {
            if (closed) {
              return;
            }
            awaitingHello.remove(this);
            if (!m.hasHello()) {
              fail(Status.FAILED_PRECONDITION.withDescription("the first message must be Hello, got " + m.getBodyCase()));
              return;
            }
            hello(m);
          }
          return;
        }
        if (m.hasFeatureStatistics()) {
          onStatistics(c.id().value(), m.getFeatureStatistics());
          return;
        }
        c.onMessage(m);
      }

      /** Called by {@link #checkTimeouts()}: the stream opened but never said Hello. */
      synchronized void helloTimedOut() {
        if (!awaitingHello.containsKey(this) || closed || client != null) {
          return;
        }
        awaitingHello.remove(this);
        String why = "no Hello within " + settings.helloTimeout() + " of opening the session";
        LOG.log(Level.WARNING, "closing a session (authenticated as {0}): {1}", authenticated, why);
        fail(Status.DEADLINE_EXCEEDED.withDescription(why));
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
        if (id.length() > MAX_CLIENT_ID_LENGTH || id.chars().anyMatch(Character::isISOControl)) {
          fail(Status.INVALID_ARGUMENT.withDescription("Hello.client_id must be at most " + MAX_CLIENT_ID_LENGTH
              + " characters without control characters (got " + id.length() + " characters)"));
          return;
        }
        if (authenticated != null && !id.equals(authenticated) && settings.authenticatesClients()) {
          LOG.log(Level.WARNING, "client authenticated as {0} said Hello as {1}; refused", authenticated, id);
          fail(Status.PERMISSION_DENIED.withDescription("authenticated as '" + authenticated + "' but Hello says '" + id + "'"));
          return;
        }
        WireCompression w = wire;
        if (w != null && !h.getCapabilitiesList().contains(Payloads.CODEC_CAPABILITY)) {
          LOG.log(Level.WARNING, "refused client {0}: it cannot send encoded updates ({1})", id, w.describe());
          fail(Status.FAILED_PRECONDITION.withDescription("this run sends encoded payloads (" + w.describe()
              + ") but client '" + id + "' does not list capability '" + Payloads.CODEC_CAPABILITY
              + "' in Hello; upgrade the client"));
          return;
        }
        SubModelTerms sub = subModels;
        if (sub != null && !h.getCapabilitiesList().contains(SubModelTerms.CAPABILITY)) {
          LOG.log(Level.WARNING, "refused client {0}: it cannot train sub-models", id);
          fail(Status.FAILED_PRECONDITION.withDescription("this run trains sub-models (" + sub.policy()
              + ") but client '" + id + "' does not list capability '"
              + SubModelTerms.CAPABILITY + "' in Hello; upgrade the client"));
          return;
        }
        ClientId cid = new ClientId(id);
        RemoteClient old;
        RemoteClient joined;
        synchronized (registryLock) {
          old = clients.get(cid);
          if (old != null && !settings.authenticatesClients() && old.alive() && !old.missedHeartbeats()) {
            // without authentication the newcomer cannot prove it is the same client: never let it take over
            LOG.log(Level.WARNING, "refused a second session for client {0}: its first session is alive"
                + " (the server runs without authentication)", id);
            fail(Status.ALREADY_EXISTS.withDescription("client id '" + id + "' is already connected in a live session;"
                + " this server runs without authentication, so a second session cannot take it over"
                + " (retry once the first session has ended)"));
            return;
          }
          // Welcome goes out before the client joins the pool, so no task can overtake it
          Welcome.Builder welcome = Welcome.newBuilder().setProtocolVersion(PROTOCOL_VERSION)
              .setModel(settings.model()).setStrategy(settings.strategy()).setRunId(settings.runId())
              .setClientDp(clientDp).setClientDpSeededNoise(clientDpSeededNoise).setAgreeStatistics(agreeStatistics)
              .setHeartbeatMillis((int) settings.heartbeat().toMillis()).setNextRound(currentRound);
          if (sub != null) {
            welcome.setSubmodel(sub.toProto());
          }
          if (acceptsSkips()) {
            welcome.setEventThreshold(eventThreshold);
          }
          if (w != null) {
            welcome.setUplinkCodec(w.uplink().describe()).setErrorFeedback(w.errorFeedback())
                .setDownlinkCodec(w.downlink().isIdentity() ? "" : w.downlink().describe());
          }
          outbox.send(ServerMessage.newBuilder().setWelcome(welcome).build());
          joined = new RemoteClient(cid, outbox, FederationServer.this, h.getCapabilitiesList());
          streams.put(joined, stream);
          clients.put(cid, joined);
          client = joined;
        }
        if (old != null) {
          drop(old, "replaced by a new connection of the same client", Status.ALREADY_EXISTS
              .withDescription("a newer session of client " + id + " replaced this one"));
        }
        everSeen.add(id);
        LOG.log(Level.INFO, "client {0} connected (attempt {1})", id, h.getAttempt());
      }

      private void fail(Status s) {
        closed = true;
        outbox.close();
        try {
          synchronized (stream) {
            stream.onError(s.asRuntimeException());
          }
        } catch (RuntimeException ignored) {
          // the peer cancelled first
        }
      }

      @Override
      public void onError(Throwable t) {
        awaitingHello.remove(this);
        outbox.close();
        if (client != null) {
          LOG.log(Level.INFO, "client {0} disconnected: {1}", client.id(), Status.fromThrowable(t));
          drop(client, "connection lost (" + Status.fromThrowable(t).getCode() + ")", null);
        }
      }

      @Override
      public void onCompleted() {
        awaitingHello.remove(this);
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
    }
  }

}
