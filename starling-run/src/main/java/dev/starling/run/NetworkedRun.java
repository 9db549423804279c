package dev.starling.run;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.server.AsyncState;
import dev.starling.server.CheckpointStore;
import dev.starling.server.Checkpointer;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RunState;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.server.sync.PoolEnvironment;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.strategy.ServerEvaluatedStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.compression.Codecs;
import dev.starling.transport.grpc.server.FederationServer;
import dev.starling.transport.grpc.server.SecAggSettings;
import dev.starling.transport.grpc.server.WireCompression;
import dev.starling.transport.grpc.server.ServerSettings;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeSet;
import java.util.function.Function;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;

/**
 * A networked federation's server assembled from a {@link RunSpec}: the one place where a spec becomes a gRPC
 * {@link FederationServer} and its round loop, for the Java API ({@link Starling#server}) and the CLI's
 * {@code server} command alike. It listens as soon as it is made, tells clients the model (the
 * {@link LearnerFactory#id()}) and strategy, requires the spec's client-side privacy of them, compresses the
 * traffic with the spec's codecs, has them train the spec's sub-models (position-wise averaged, as in simulation),
 * tells them an event-triggered mode's threshold, runs secure aggregation when the spec asks for it, starts from
 * the learner's initial parameters and evaluates every round's model with a learner on the server's {@code test}
 * set. Everything the spec cannot do over the network is refused ({@link InvalidRunException}) before it listens.
 *
 * <p>What a server needs beyond the spec (fold order, secure aggregation's phase timeout and identity keys, a
 * checkpoint store and the state to resume from, agreed standardisation, an extra decorator) is set on a
 * {@link Builder}. Order of use: {@link Starling#server} or {@link #builder}, let clients connect (they may also
 * come later: a round waits up to the spec's availability timeout for its minimum), {@link #run} once,
 * {@link #close}.
 */
public final class NetworkedRun implements AutoCloseable {
  private final RunSpec spec;
  private final RunAssembler.Assembly assembly;
  private final FederationServer server;
  private final Strategy strategy;
  private final ParameterSet initial;
  private final RoundLoopConfig loop;
  private final CheckpointStore store;
  private final Map<String, String> checkpointMetadata;
  private final RunState resume;

  private NetworkedRun(Builder b, RunAssembler.Assembly assembly, FederationServer server, Strategy strategy,
      RoundLoopConfig loop) {
    this.spec = b.spec;
    this.assembly = assembly;
    this.server = server;
    this.strategy = strategy;
    this.initial = b.initial;
    this.loop = loop;
    this.store = b.store;
    this.checkpointMetadata = b.checkpointMetadata;
    this.resume = b.resume;
  }

  static NetworkedRun start(RunSpec spec, LearnerFactory learner, Dataset test, ServerSettings address) {
    return start(spec, learner, test, address, FoldOrder.ARRIVAL);
  }

  /**
   * As {@link #start(RunSpec, LearnerFactory, Dataset, ServerSettings)} folding updates in {@code foldOrder}
   * ({@link Builder#foldOrder}).
   */
  static NetworkedRun start(RunSpec spec, LearnerFactory learner, Dataset test, ServerSettings address,
      FoldOrder foldOrder) {
    return builder(spec).learner(learner, test).foldOrder(foldOrder).listen(address).start();
  }

  /** A server for {@code spec}; give it a model ({@link Builder#learner} or {@link Builder#model}) and an address. */
  public static Builder builder(RunSpec spec) {
    return new Builder(spec);
  }

  /**
   * What a networked server is made of beyond its {@link RunSpec}. Required: a model ({@link #learner} or
   * {@link #model}) and an address ({@link #listen}); everything else has the default {@link Starling#server}
   * uses.
   */
  public static final class Builder {
    private final RunSpec spec;
    private String modelId;
    private ParameterSet initial;
    private Function<ParameterSet, Metrics> evaluation;
    private UnaryOperator<Strategy> decorator = UnaryOperator.identity();
    private ServerSettings address;
    private FoldOrder foldOrder = FoldOrder.ARRIVAL;
    private SecAggSettings secAgg;
    private Long maxExamplesPerClient;
    private List<Integer> clientSizes;
    private boolean agreeStatistics;
    private CheckpointStore store;
    private Map<String, String> checkpointMetadata = Map.of();
    private RunState resume;
    private RunAssembler.Assembly assembly;

    private Builder(RunSpec spec) {
      this.spec = Objects.requireNonNull(spec, "spec");
    }

    /**
     * The model: clients are told {@code learner}'s {@link LearnerFactory#id()}, the initial parameters are those of
     * its learner on {@code test} (seeded by the spec's seed), and every round's model is evaluated by a learner on
     * {@code test}.
     */
    public Builder learner(LearnerFactory learner, Dataset test) {
      Objects.requireNonNull(learner, "learner");
      Objects.requireNonNull(test, "test");
      LearnerContext ctx = LearnerContext.of(learner.id(), test, spec.seed());
      this.modelId = learner.id();
      this.initial = learner.create(ctx, test).parameters();
      this.evaluation = p -> learner.create(ctx, test).evaluate(p).metrics();
      return this;
    }

    /**
     * A model no learner on this server knows, e.g. a bare parameter vector for transport benchmarks: clients are
     * told {@code id}, the run starts from {@code initial}, and there is no server-side evaluation (unless
     * {@link #evaluation} adds one).
     */
    public Builder model(String id, ParameterSet initial) {
      this.modelId = Objects.requireNonNull(id, "id");
      this.initial = Objects.requireNonNull(initial, "initial");
      this.evaluation = null;
      return this;
    }

    /** Replaces the server-side evaluation of every round's model (after {@link #learner} or {@link #model}). */
    public Builder evaluation(Function<ParameterSet, Metrics> evaluation) {
      this.evaluation = Objects.requireNonNull(evaluation, "evaluation");
      return this;
    }

    /**
     * A decorator around the assembled strategy with its server-side evaluation, inside the transport's own
     * decorators ({@link FederationServer#wrap}); e.g. one that attaches agreed preprocessing to every task.
     */
    public Builder decorate(UnaryOperator<Strategy> decorator) {
      this.decorator = Objects.requireNonNull(decorator, "decorator");
      return this;
    }

    /**
     * Where to listen, with TLS, tokens and limits; the model and strategy in {@code address} are replaced by the
     * model's id and the spec's strategy.
     */
    public Builder listen(ServerSettings address) {
      this.address = Objects.requireNonNull(address, "address");
      return this;
    }

    /**
     * The order updates are folded in. {@link FoldOrder#SELECTION} waits for a round's updates to fold them in
     * selection order, as a simulation does, so tests can compare a networked run with a simulated one bit for
     * bit. An update holds its upload slot until it is folded, so selection order needs
     * {@code maxConcurrentUploads} of at least the clients per round: a spec whose rounds select more than that at
     * the least is refused ({@link InvalidRunException}) by {@link #start} before the server listens, and a round
     * that selects more later fails the run with the same reason before any task goes out. Default: arrival.
     */
    public Builder foldOrder(FoldOrder foldOrder) {
      this.foldOrder = Objects.requireNonNull(foldOrder, "foldOrder");
      return this;
    }

    /**
     * Secure aggregation's settings (phase timeouts, identity keys of the authenticated variant) in place of
     * {@link RunAssembler#networkSecAgg}'s; only with a spec that asks for secure aggregation.
     */
    public Builder secureAggregation(SecAggSettings settings) {
      if (assembly != null) {
        throw new IllegalStateException("secure aggregation's settings are set before the run is assembled");
      }
      this.secAgg = Objects.requireNonNull(settings, "settings");
      return this;
    }

    /** The largest example count a client may report for one update (default: the validator's). */
    public Builder maxExamplesPerClient(long max) {
      this.maxExamplesPerClient = max;
      return this;
    }

    /**
     * DP-SGD: the clients' dataset sizes (or a lower bound on them), so the privacy budget is checked before the
     * server listens ({@link RunAssembler.Assembly#plan}).
     */
    public Builder clientSizes(List<Integer> sizes) {
      this.clientSizes = List.copyOf(sizes);
      if (assembly != null) {
        assembly.plan(clientSizes, spec.training());
      }
      return this;
    }

    /**
     * Asks clients for their feature statistics in the handshake, so an agreed standardisation can be fixed
     * before round 1 ({@link FederationServer#awaitFeatureStatistics}).
     */
    public Builder agreeStatistics() {
      this.agreeStatistics = true;
      return this;
    }

    /**
     * Writes a checkpoint into {@code store} after every committed round (every aggregation in the asynchronous
     * modes), with {@code metadata} beside it.
     */
    public Builder checkpoints(CheckpointStore store, Map<String, String> metadata) {
      this.store = Objects.requireNonNull(store, "store");
      this.checkpointMetadata = Map.copyOf(metadata);
      return this;
    }

    /**
     * Resumes from a checkpoint (null: a fresh start): the server knows the checkpoint's clients and round, and
     * the loop (synchronous or asynchronous, as the checkpoint's run was) continues from its model, strategy state
     * and history. The caller checks the checkpoint belongs to this run.
     */
    public Builder resumeFrom(RunState from) {
      this.resume = from;
      return this;
    }

    /** The model's initial parameters (once {@link #learner} or {@link #model} is given). */
    public ParameterSet initialParameters() {
      if (initial == null) {
        throw new IllegalStateException("no model yet: call learner(...) or model(...) first");
      }
      return initial;
    }

    /**
     * The run assembled for a networked server ({@link RunAssembler#assemble}), without listening: every refusal
     * of the spec is raised here. {@link #start} uses the same assembly.
     */
    public RunAssembler.Assembly assembly() {
      if (assembly == null) {
        assembly = RunAssembler.assemble(spec, RunAssembler.Target.SERVER, secAgg);
        if (clientSizes != null) {
          assembly.plan(clientSizes, spec.training());
        }
      }
      return assembly;
    }

    /** Configures the server as the spec and this builder say and starts listening. */
    public NetworkedRun start() {
      initialParameters();
      Objects.requireNonNull(address, "no address: call listen(...) first");
      RunAssembler.Assembly a = assembly();
      RoundLoopConfig loop = RunAssembler.loopConfig(spec, a.stopConditions(spec.loop()), foldOrder, 0);
      if (maxExamplesPerClient != null) {
        loop = loop.withMaxExamplesPerClient(maxExamplesPerClient);
      }
      if (foldOrder == FoldOrder.SELECTION && loop.fewestClientsPerRound() > address.maxConcurrentUploads()) {
        throw new InvalidRunException("min-clients", "= " + loop.fewestClientsPerRound() + " clients per round (at the"
            + " least) with fold order SELECTION needs as many upload slots, but the server has maxConcurrentUploads = "
            + address.maxConcurrentUploads() + " (selection order holds every update of a round until all arrived);"
            + " raise maxConcurrentUploads or fold in ARRIVAL order");
      }
      Strategy evaluated = evaluation == null ? a.strategy() : new ServerEvaluatedStrategy(a.strategy(), evaluation);
      Strategy decorated = Objects.requireNonNull(decorator.apply(evaluated), "the decorator returned null");
      FederationServer server = new FederationServer(new ServerSettings(address.host(), address.port(), address.tls(),
          address.tokens(), address.heartbeat(), address.chunkValues(), address.maxUpdateValues(),
          address.maxConcurrentUploads(), address.uploadWait(), modelId, spec.strategy(), address.runId(),
          address.helloTimeout(), address.uploadIdleTimeout(), address.lanePort()));
      try {
        if (agreeStatistics) {
          server.agreeStatistics();
        }
        // before start(): no client may be welcomed without being told what it must apply
        a.clientPrivacy().ifPresent(p -> server.requireClientDp(p, spec.privacy().seededNoise()));
        WireCompression wire = wireCompression(spec);
        if (wire.active()) {
          server.compressTraffic(wire);
        }
        if (spec.sync().policy() instanceof SyncPolicy.Event e) { // clients skip small changes (Welcome, v1.5)
          server.triggerEvents(e.threshold());
        }
        a.subModelTerms().ifPresent(server::trainSubModels);
        // no client may be given a task in the clear
        a.networkSecureSum().ifPresent(server::enableSecureAggregation);
        if (resume != null) {
          server.restoreRegistry(new TreeSet<>(resume.clients()));
          server.setRound(resume.round() + 1);
        }
        server.start();
        return new NetworkedRun(this, a, server, server.wrap(decorated), loop);
      } catch (RuntimeException e) {
        server.close();
        throw e;
      }
    }
  }

  /** The codecs on the wire as {@code spec} names them, seeded by its seed (inactive when it names none). */
  public static WireCompression wireCompression(RunSpec spec) {
    RunSpec.Compression c = spec.compression();
    return new WireCompression(Codecs.parse(c.uplink()), c.errorFeedback(), Codecs.parse(c.downlink()), spec.seed());
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server.port();
  }

  public RunSpec spec() {
    return spec;
  }

  /** What the spec was assembled into: privacy mechanisms, client requirements, sub-models, codecs. */
  public RunAssembler.Assembly assembly() {
    return assembly;
  }

  /**
   * The listening server: its connected clients, feature statistics and upload counters. Configuring it is this
   * class's job; do not change its settings.
   */
  public FederationServer server() {
    return server;
  }

  /** The round loop's settings. */
  public RoundLoopConfig loopConfig() {
    return loop;
  }

  /** The checkpoint this run resumes from, if any ({@link Builder#resumeFrom}). */
  public Optional<RunState> resumedFrom() {
    return Optional.ofNullable(resume);
  }

  /** The assembled strategy the loop runs, with server-side evaluation and the transport's decorators. */
  public Strategy strategy() {
    return strategy;
  }

  /** The federation's initial model: the learner's parameters before any fit. */
  public ParameterSet initialParameters() {
    return initial;
  }

  /**
   * Runs the rounds with the connected clients (in the spec's {@link RunSpec#sync() synchronisation mode}), from
   * the checkpoint to resume from if one was given, writing checkpoints if a store was given (after
   * {@code listener} has seen the round), then tells the clients the run is complete.
   */
  public RoundLoop.Result run(RoundListener listener) {
    RoundLoop.Result r;
    if (spec.sync().synchronous()) {
      RoundListener all = store == null ? listener
          : RoundListener.all(listener, new Checkpointer(store, strategy, server::registry, checkpointMetadata));
      r = new RoundLoop(strategy, server.pool(), loop, all).run(initial, resume);
    } else {
      r = runAsync(listener, store == null ? null
          : async -> new Checkpointer(store, strategy, server::registry, checkpointMetadata, Map::of, async));
    }
    server.finish("run complete: " + r.history().stopReason());
    return r;
  }

  /**
   * An asynchronous mode over the network: the {@link AsyncDriver} that the simulation also uses, on the wall
   * clock, with the server's connected clients. A client is given its next job as soon as it returned one (up to
   * the mode's concurrency); a job not back within the round timeout is abandoned; an update's upload slot is
   * released as soon as the driver holds it. {@code checkpointer}, given the driver's
   * {@link AsyncDriver#snapshot()}, returns the listener that writes a checkpoint after every aggregation (null:
   * none); on resume, model, version, buffer, history and {@code clock_seconds} continue, jobs that were in flight
   * when the checkpoint was written are lost (their clients get new work as they ask for it).
   */
  private RoundLoop.Result runAsync(RoundListener listener,
      Function<Supplier<Optional<AsyncState>>, RoundListener> checkpointer) {
    RunSpec.SyncMode sync = spec.sync();
    PoolEnvironment env = new PoolEnvironment(server.pool(), loop.roundTimeout(), loop.availabilityTimeout(),
        System::nanoTime, Duration.ofMillis(50), server::releaseUpload);
    AsyncDriver[] driver = new AsyncDriver[1];
    RoundListener all = checkpointer == null ? listener
        : RoundListener.all(listener, checkpointer.apply(() -> driver[0].snapshot()));
    driver[0] = new AsyncDriver(strategy, env, loop, sync.policy(), new AsyncDriver.Settings(sync.concurrency(),
        sync.stalenessBound()), all);
    return driver[0].run(initial, resume);
  }

  @Override
  public void close() {
    server.close();
  }
}
