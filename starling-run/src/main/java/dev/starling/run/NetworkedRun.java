package dev.starling.run;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.server.sync.PoolEnvironment;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.strategy.ServerEvaluatedStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.compression.Codecs;
import dev.starling.transport.grpc.server.FederationServer;
import dev.starling.transport.grpc.server.WireCompression;
import dev.starling.transport.grpc.server.ServerSettings;
import java.time.Duration;
import java.util.Objects;

/**
 * A networked federation's server assembled from a {@link RunSpec}: listens (gRPC) as soon as it is made, tells
 * clients the model ({@link LearnerFactory#id()}) and strategy, requires the spec's local DP of them, has them train
 * the spec's sub-models (position-wise averaged, as in simulation), runs secure
 * aggregation when the spec asks for it, starts from the factory's learner's initial parameters and evaluates every
 * round's model with a learner on the server's {@code test} set. Everything the spec cannot do over the network
 * is refused ({@link InvalidRunException}) before it listens.
 *
 * <p>Order of use: {@link Starling#server}, let clients connect (they may also come later: a round waits up to the
 * spec's availability timeout for its minimum), {@link #run} once, {@link #close}.
 */
public final class NetworkedRun implements AutoCloseable {
  private final RunSpec spec;
  private final FederationServer server;
  private final Strategy strategy;
  private final ParameterSet initial;
  private final RoundLoopConfig loop;

  private NetworkedRun(RunSpec spec, FederationServer server, Strategy strategy, ParameterSet initial,
      RoundLoopConfig loop) {
    this.spec = spec;
    this.server = server;
    this.strategy = strategy;
    this.initial = initial;
    this.loop = loop;
  }

  static NetworkedRun start(RunSpec spec, LearnerFactory learner, Dataset test, ServerSettings address) {
    return start(spec, learner, test, address, FoldOrder.ARRIVAL);
  }

  /**
   * As {@link #start(RunSpec, LearnerFactory, Dataset, ServerSettings)} folding updates in {@code foldOrder}:
   * {@link FoldOrder#SELECTION} waits for a round's updates to fold them in selection order, as a simulation
   * does, so tests can compare a networked run with a simulated one bit for bit. An update holds its upload slot
   * until it is folded, so selection order needs {@code address.maxConcurrentUploads()} of at least the clients per
   * round: a spec whose rounds select more than that at the least is refused ({@link InvalidRunException}) before
   * the server listens, and a round that selects more later fails the run with the same reason before any task
   * goes out (never a wait for a slot that the round's own updates hold).
   */
  static NetworkedRun start(RunSpec spec, LearnerFactory learner, Dataset test, ServerSettings address,
      FoldOrder foldOrder) {
    Objects.requireNonNull(learner, "learner");
    Objects.requireNonNull(test, "test");
    RunAssembler.Assembly a = RunAssembler.assemble(spec, RunAssembler.Target.SERVER);
    RoundLoopConfig loop = RunAssembler.loopConfig(spec, a.stopConditions(spec.loop()), foldOrder, 0);
    if (foldOrder == FoldOrder.SELECTION && loop.fewestClientsPerRound() > address.maxConcurrentUploads()) {
      throw new InvalidRunException("min-clients", "= " + loop.fewestClientsPerRound() + " clients per round (at the"
          + " least) with fold order SELECTION needs as many upload slots, but the server has maxConcurrentUploads = "
          + address.maxConcurrentUploads() + " (selection order holds every update of a round until all arrived);"
          + " raise maxConcurrentUploads or fold in ARRIVAL order");
    }
    LearnerContext ctx = LearnerContext.of(learner.id(), test, spec.seed());
    ParameterSet initial = learner.create(ctx, test).parameters();
    Strategy evaluated = new ServerEvaluatedStrategy(a.strategy(), p -> learner.create(ctx, test).evaluate(p).metrics());
    ServerSettings s = new ServerSettings(address.host(), address.port(), address.tls(), address.tokens(),
        address.heartbeat(), address.chunkValues(), address.maxUpdateValues(), address.maxConcurrentUploads(),
        address.uploadWait(), learner.id(), spec.strategy(), address.runId(), address.helloTimeout(),
        address.uploadIdleTimeout());
    FederationServer server = new FederationServer(s);
    if (a.clientPrivacy().isPresent()) { // local DP or DP-SGD: every client applies it, named in the Welcome
      server.requireClientDp(a.clientPrivacy().get(), spec.privacy().seededNoise());
    }
    RunSpec.Compression c = spec.compression();
    WireCompression wire = new WireCompression(Codecs.parse(c.uplink()), c.errorFeedback(), Codecs.parse(c.downlink()),
        spec.seed());
    if (wire.active()) {
      server.compressTraffic(wire);
    }
    if (spec.sync().policy() instanceof SyncPolicy.Event e) { // clients skip small changes (Welcome, v1.5)
      server.triggerEvents(e.threshold());
    }
    a.subModelTerms().ifPresent(server::trainSubModels);
    // before start(): no client may be given a task in the clear
    a.networkSecureSum().ifPresent(server::enableSecureAggregation);
    server.start();
    try {
      return new NetworkedRun(spec, server, server.wrap(evaluated), initial, loop);
    } catch (RuntimeException e) {
      server.close();
      throw e;
    }
  }

  /** The bound port (useful with port 0). */
  public int port() {
    return server.port();
  }

  public RunSpec spec() {
    return spec;
  }

  /** The assembled strategy the loop runs, with server-side evaluation and the transport's decorators. */
  public Strategy strategy() {
    return strategy;
  }

  /** The federation's initial model: the factory's learner's parameters before any fit. */
  public ParameterSet initialParameters() {
    return initial;
  }

  /**
   * Runs the rounds with the connected clients (in the spec's {@link RunSpec#sync() synchronisation mode}), then
   * tells them the run is complete.
   */
  public RoundLoop.Result run(RoundListener listener) {
    RoundLoop.Result r = spec.sync().synchronous() ? new RoundLoop(strategy, server.pool(), loop, listener).run(initial)
        : runAsync(strategy, server, loop, spec.sync(), listener, initial);
    server.finish("run complete: " + r.history().stopReason());
    return r;
  }

  /**
   * Runs an asynchronous mode over the network: the {@link AsyncDriver} that the simulation also uses, on the
   * wall clock, with {@code server}'s connected clients. A client is given its next job as soon as it returned
   * one (up to the mode's concurrency); a job not back within the round timeout is abandoned; an update's upload
   * slot is released as soon as the driver holds it. Does not {@link FederationServer#finish} the run.
   */
  public static RoundLoop.Result runAsync(Strategy strategy, FederationServer server, RoundLoopConfig loop,
      RunSpec.SyncMode sync, RoundListener listener, ParameterSet initial) {
    return runAsync(strategy, server, loop, sync, listener, initial, null, null);
  }

  /**
   * {@link #runAsync(Strategy, FederationServer, RoundLoopConfig, RunSpec.SyncMode, RoundListener, ParameterSet)}
   * with checkpoints: {@code checkpointer}, given the driver's {@link AsyncDriver#snapshot()}, returns the listener
   * that writes a checkpoint after every aggregation (null: none); {@code from} resumes from one (null: starts from
   * {@code initial}): model, version, buffer, history and {@code clock_seconds} continue, jobs that were in flight
   * when the checkpoint was written are lost (their clients get new work as they ask for it).
   */
  public static RoundLoop.Result runAsync(Strategy strategy, FederationServer server, RoundLoopConfig loop,
      RunSpec.SyncMode sync, RoundListener listener, ParameterSet initial,
      java.util.function.Function<java.util.function.Supplier<java.util.Optional<dev.starling.server.AsyncState>>,
          RoundListener> checkpointer, dev.starling.server.RunState from) {
    PoolEnvironment env = new PoolEnvironment(server.pool(), loop.roundTimeout(), loop.availabilityTimeout(),
        System::nanoTime, Duration.ofMillis(50), server::releaseUpload);
    AsyncDriver[] driver = new AsyncDriver[1];
    RoundListener all = checkpointer == null ? listener
        : RoundListener.all(listener, checkpointer.apply(() -> driver[0].snapshot()));
    driver[0] = new AsyncDriver(strategy, env, loop, sync.policy(), new AsyncDriver.Settings(sync.concurrency(),
        sync.stalenessBound()), all);
    return driver[0].run(initial, from);
  }

  @Override
  public void close() {
    server.close();
  }
}
