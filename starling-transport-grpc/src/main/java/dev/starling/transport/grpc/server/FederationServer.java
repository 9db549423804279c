package dev.starling.transport.grpc.server;

import dev.starling.core.message.ClientId;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.transport.grpc.wire.Payloads;
import dev.starling.transport.grpc.wire.SubModelTerms;
import dev.starling.transport.grpc.wire.WireMarshalling;
import io.grpc.Server;
import io.grpc.ServerCredentials;
import io.grpc.ServerInterceptors;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import java.util.Set;
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
 * <p>This class is the facade: it holds the run's terms (secure aggregation, client DP, sub-models, wire
 * compression, agreed statistics) and delegates each mechanism to its own class: the gRPC endpoint
 * ({@link FederationService}: streams, Hello, Welcome), the client registry ({@link ClientRegistry}:
 * sessions, ids, duplicate ids, timeouts), the upload gate ({@link UploadGate} and {@link UnfoldedUploads})
 * and the strategy wrapper ({@link SlotReleasingStrategy}).
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
  private final ClientRegistry clients;
  private final UnfoldedUploads unfolded = new UnfoldedUploads();
  private final StatisticsAgreement statistics;
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
  private volatile SubModelTerms subModels;
  private volatile double eventThreshold = Double.NaN; // NaN: the run is not event-triggered
  private volatile WireCompression wire;
  private volatile dev.starling.compression.BroadcastEncoder downlink;
  private volatile Payloads.SharedModel broadcast; // the float32 model of the latest round, encoded once
  private volatile Payloads.SharedModel laneBroadcast; // the same for byte lanes: whole-tensor chunks, direct buffers
  private Server server;
  private ServerThreads threads; // the server's own transport and callback threads, made by start()
  private volatile LaneListener lanes; // the byte-lane port, when the settings offer lanes (made by start())

  public FederationServer(ServerSettings settings) {
    this(settings, Ticker.SYSTEM);
  }

  /**
   * A server whose heartbeat, Hello and upload-idle timeouts, and secure aggregation's phase deadlines,
   * read {@code ticker}. They are checked
   * periodically (and whenever {@link #checkTimeouts()} is called, which is how tests drive a manual ticker).
   */
  public FederationServer(ServerSettings settings, Ticker ticker) {
    this.settings = settings;
    this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
    this.gate = new UploadGate(settings.maxConcurrentUploads());
    this.clients = new ClientRegistry(settings, this.ticker);
    this.statistics = new StatisticsAgreement(this.ticker);
  }

  Ticker ticker() {
    return ticker;
  }

  /** Binds and starts serving; returns this. */
  public FederationServer start() {
    ServerCredentials creds = ServerTls.credentials(settings.tls().orElse(null), "the server");
    threads = new ServerThreads();
    server = threads.apply(NettyServerBuilder.forAddress(new InetSocketAddress(settings.host(), settings.port()), creds))
        .addService(ServerInterceptors.intercept(WireMarshalling.serverSession(new FederationService(this, clients).bindService()),
            new TokenAuthInterceptor(settings.tokens())))
        .permitKeepAliveTime(5, TimeUnit.SECONDS)
        .permitKeepAliveWithoutCalls(true)
        .build();
    try {
      server.start();
    } catch (IOException e) {
      threads.shutdown();
      throw new UncheckedIOException("cannot listen on " + settings.host() + ":" + settings.port() + ": " + e.getMessage(), e);
    }
    if (settings.offersLane()) {
      try {
        lanes = new LaneListener(settings.host(), settings.lanePort(), settings.helloTimeout());
      } catch (UncheckedIOException e) {
        server.shutdownNow();
        threads.shutdown();
        throw e;
      }
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

  /** The sessions' registry. */
  ClientRegistry clients() {
    return clients;
  }

  /** The byte-lane listener, or null when this server offers no lanes. */
  LaneListener lanes() {
    return lanes;
  }

  /** Connected clients whose byte lane is bound (tests, logs). */
  int lanesBound() {
    return (int) clients.pool().available().stream().filter(c -> ((RemoteClient) c).hasLane()).count();
  }

  /** The bound byte-lane port, or -1 when this server offers no lanes. */
  public int lanePort() {
    LaneListener l = lanes;
    return l == null ? -1 : l.port();
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
    ClientPool alive = clients.pool();
    int slots = settings.maxConcurrentUploads();
    return new ClientPool() {
      @Override
      public List<ClientProxy> available() {
        return alive.available();
      }

      @Override
      public int maxHeldUpdates() {
        return slots; // an update keeps its upload slot until the round loop folds it
      }
    };
  }

  /** Ids of every client that ever completed the handshake (the client registry), sorted. */
  public Set<String> registry() {
    return clients.everSeen();
  }

  /** Restores the registry from a checkpoint. */
  public void restoreRegistry(Set<String> ids) {
    clients.restore(ids);
  }

  /** Open sessions that have not said Hello yet (for tests). */
  int sessionsAwaitingHello() {
    return clients.sessionsAwaitingHello();
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
    unfolded.awaitingFold(client, slot);
  }

  /**
   * Releases the upload slot {@code client}'s last update holds (as folding it would): for the asynchronous
   * modes, whose driver keeps arrived updates in its own buffer until an aggregation, so that other clients
   * can upload meanwhile.
   */
  public void releaseUpload(ClientId client) {
    unfolded.folded(client);
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

  /** The event threshold of an event-triggered run (NaN otherwise). */
  double eventThreshold() {
    return eventThreshold;
  }

  /**
   * Asks every client, in its {@code Welcome}, for its standardisation statistics (row count, per-feature
   * sums and sums of squares of its raw training rows: {@code FeatureStatistics}), which
   * {@link #featureStatistics} and {@link #awaitFeatureStatistics} then return, so the caller can agree one
   * standardiser and send it back in the training tasks. The statistics arrive in the clear (inside TLS):
   * do not combine with secure aggregation. Call before {@link #start()}.
   */
  public void agreeStatistics() {
    statistics.ask();
  }

  /** The statistics clients have reported so far, by client id (a copy). */
  public Map<String, dev.starling.transport.grpc.wire.FeatureSums> featureStatistics() {
    return statistics.reported();
  }

  /**
   * Waits until at least {@code clients} clients have reported their statistics or {@code timeout} has
   * passed, and returns those reported by then.
   */
  public Map<String, dev.starling.transport.grpc.wire.FeatureSums> awaitFeatureStatistics(int clients,
      java.time.Duration timeout) throws InterruptedException {
    return statistics.await(clients, timeout);
  }

  StatisticsAgreement statistics() {
    return statistics;
  }

  String clientDp() {
    return clientDp;
  }

  boolean clientDpSeededNoise() {
    return clientDpSeededNoise;
  }

  SubModelTerms subModels() {
    return subModels;
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
    SecAggCoordinator c = new SecAggCoordinator(sum.settings(), ticker);
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

  /**
   * The float32 encoding of {@code global} for {@code round}, shared by every client it is sent to: made by
   * the first task of the round, reused by the others (see {@link Payloads.SharedModel}).
   */
  Payloads.SharedModel sharedModel(dev.starling.core.tensor.ParameterSet global, int round) {
    Payloads.SharedModel b = broadcast;
    if (b == null || !b.isFor(global, settings.chunkValues(), round)) {
      // concurrent first tasks may both make one; either serves, the last stays
      b = new Payloads.SharedModel(global, settings.chunkValues(), round);
      broadcast = b;
    }
    return b;
  }

  /**
   * As {@link #sharedModel}, for byte lanes: chunks of {@link dev.starling.transport.grpc.wire.ByteLane#CHUNK_VALUES}
   * values encoded into direct buffers, so every lane writes the one encoding without copying it.
   */
  Payloads.SharedModel sharedLaneModel(dev.starling.core.tensor.ParameterSet global, int round) {
    Payloads.SharedModel b = laneBroadcast;
    int values = dev.starling.transport.grpc.wire.ByteLane.CHUNK_VALUES;
    if (b == null || !b.isFor(global, values, round)) {
      b = new Payloads.SharedModel(global, values, round, true);
      laneBroadcast = b;
    }
    return b;
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
    return new SlotReleasingStrategy(strategy, this, unfolded);
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
   * sent nothing within the upload-idle timeout ({@link ClientRegistry#checkTimeouts()}), ends a wait for agreed
   * statistics whose deadline has passed ({@link StatisticsAgreement#checkDeadline()}), and closes secure
   * aggregation phases whose deadline has passed ({@link SecAggCoordinator#checkDeadlines()}). Runs periodically; tests with a manual {@link Ticker}
   * call it after advancing the ticker. Thread-safe.
   */
  void checkTimeouts() {
    clients.checkTimeouts();
    statistics.checkDeadline();
    SecAggCoordinator sa = secagg;
    if (sa != null) {
      sa.checkDeadlines();
    }
  }

  /**
   * Tells every connected client that the run is over, and waits up to 2 s on the server's {@link Ticker} for
   * them to disconnect (so the messages leave before {@link #close}).
   */
  public void finish(String reason) {
    clients.finish(reason);
  }

  @Override
  public void close() {
    reaper.shutdownNow();
    LaneListener l = lanes;
    if (l != null) {
      l.close();
    }
    if (secagg != null) {
      secagg.close();
    }
    clients.dropAll("server shutting down");
    if (server != null) {
      server.shutdownNow();
      try {
        server.awaitTermination(5, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      threads.shutdown();
    }
  }
}
