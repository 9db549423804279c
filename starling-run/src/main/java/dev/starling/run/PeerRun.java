package dev.starling.run;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.p2p.Graph;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.server.StopCondition;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.transport.grpc.peer.PeerNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * One networked peer of a decentralised run (`starling peer`): the data are prepared exactly as {@link P2pRun}
 * prepares them for the same spec and seed (partitioned among {@code clients} peers, agreed standardisation), this
 * peer keeps partition {@code index}, and a {@link PeerNode} exchanges models with its neighbours over gRPC. Every
 * round: local training from this peer's model, {@link PeerNode#exchange} (push, wait up to the round timeout, mix
 * with Metropolis-Hastings weights over the neighbours that answered), evaluation of this peer's own model on the
 * test set. Only plain D-PSGD on an undirected, static topology is supported over the network; the rest of {@code
 * simulate --p2p}'s settings are refused before any data is read. Order of use: {@link #create}, {@link #run} once,
 * {@link #close}.
 */
public final class PeerRun implements AutoCloseable {
  private static final long TRAIN_STREAM = 0x7A11L; // GossipSimulation's stream: the same seeds as in simulation

  /** Metric: neighbours after this round. */
  public static final String NEIGHBOURS = "neighbours";
  /** Metric: neighbours whose round model arrived in time. */
  public static final String ANSWERED = "neighbours_answered";

  private final Simulation data;
  private final LearnerFactory factory;
  private final Dataset own;
  private final Dataset test;
  private final int index;
  private final RunSpec spec;
  private final PeerNode node;
  private final ParameterSet initial;

  private PeerRun(Simulation data, LearnerFactory factory, Dataset own, Dataset test, int index, RunSpec spec,
      PeerNode node, ParameterSet initial) {
    this.data = data;
    this.factory = factory;
    this.own = own;
    this.test = test;
    this.index = index;
    this.spec = spec;
    this.node = node;
    this.initial = initial;
  }

  /** Refuses what networked peers cannot do (before any data is read); returns the peers' count. */
  public static int check(RunSpec spec, int index) {
    RunSpec.P2p p2p = spec.p2p().orElseThrow(() -> new InvalidRunException("p2p", "is not set"));
    RunAssembler.assemble(spec, RunAssembler.Target.SIMULATION);
    int n = spec.population().clients();
    if (index < 0 || index >= n) {
      throw new InvalidRunException("peer-index", "must be in 0.." + (n - 1) + " (--clients " + n + " peers). Provided value: "
          + index);
    }
    if (!p2p.gossip().equals(RunSpec.Defaults.GOSSIP) || p2p.robust().isPresent()) {
      throw new InvalidRunException("gossip", "networked peers run plain dpsgd only (push-sum, CHOCO and robust gossip are"
          + " simulate --p2p features for now)");
    }
    if (!(spec.privacy().dp() instanceof RunSpec.Dp.None)) {
      throw new InvalidRunException("dp", "is not supported by networked peers yet");
    }
    if (spec.population().adversity().maliciousFraction() > 0) {
      throw new InvalidRunException("malicious", "attacks are simulated only (simulate --p2p)");
    }
    var topology = p2p.topology(n, spec.seed());
    if (topology.timeVarying()) {
      throw new InvalidRunException("p2p", "a time-varying topology (" + p2p.topology() + ") needs every peer's round in"
          + " step; networked peers use a static graph");
    }
    if (topology.graph(1).directed()) {
      throw new InvalidRunException("p2p", p2p.topology() + " is directed; networked peers gossip both ways");
    }
    return n;
  }

  /** This peer's neighbours' indices on the spec's topology. */
  public static int[] neighbours(RunSpec spec, int index) {
    int n = spec.population().clients();
    Graph g = spec.p2p().orElseThrow().topology(n, spec.seed()).graph(1);
    return g.outNeighbours(index).clone();
  }

  /**
   * Prepares the data of peer {@code index} and starts its node with {@code network} (whose neighbours the caller
   * takes from {@link #neighbours}).
   */
  public static PeerRun create(RunSpec spec, Dataset train, Dataset test, boolean standardize, int index,
      PeerNode.Settings network) {
    check(spec, index);
    LearnerFactory learner = Learners.parse(spec.model());
    RunSpec.Population p = spec.population();
    SimulationConfig sc = new SimulationConfig(learner, Partitioners.parse(p.partition()), p.clients(), 0, 1,
        standardize, spec.seed(), p.adversity(), Communication.none(), null, p.clock());
    Simulation sim = new Simulation(sc, train, test);
    try {
      Dataset mine = sim.clients().get(index).data();
      Dataset t = sim.testSet();
      ParameterSet init = learner.create(LearnerContext.of(learner.id(), t, spec.seed()), t).parameters();
      PeerNode node = new PeerNode(network, init);
      return new PeerRun(sim, learner, mine, t, index, spec, node, init);
    } catch (IOException e) {
      sim.close();
      throw new UncheckedIOException("peer: cannot listen on " + network.self().host() + ":" + network.self().port()
          + ": " + e.getMessage(), e);
    } catch (RuntimeException e) {
      sim.close();
      throw e;
    }
  }

  /** The data preparation (standardiser, test set). */
  public Simulation data() {
    return data;
  }

  public PeerNode node() {
    return node;
  }

  /** Rows of this peer's own partition. */
  public int rows() {
    return own.size();
  }

  public ParameterSet initialParameters() {
    return initial;
  }

  /**
   * Runs the gossip rounds. With {@code catchUp}, first asks the neighbours for their current model
   * ({@link PeerNode#catchUp}) and continues after the round it belongs to. The result's model is this peer's.
   */
  public RoundLoop.Result run(RoundListener listener, boolean catchUp) throws InterruptedException {
    ParameterSet model = initial;
    int first = 1;
    if (catchUp) {
      Optional<PeerNode.Snapshot> s = node.catchUp();
      if (s.isPresent()) {
        model = s.get().model();
        first = s.get().round() + 1;
        System.getLogger(PeerRun.class.getName()).log(System.Logger.Level.INFO,
            "caught up from {0}: its model after round {1}", s.get().from(), s.get().round());
      }
    }
    node.publish(first - 1, model);
    RandomSource root = RandomSource.seeded(spec.seed());
    LearnerContext ctx = LearnerContext.of(factory.id(), own, spec.seed());
    LearnerContext testCtx = LearnerContext.of(factory.id(), test, spec.seed());
    ClientState state = new ClientState();
    List<StopCondition> stops = new ArrayList<>();
    RunSpec.Loop loop = spec.loop();
    loop.targetAccuracy().ifPresent(a -> stops.add(StopCondition.target("test_accuracy", a, true)));
    loop.target().ifPresent(t -> stops.add(t.stopCondition()));
    History history = new History();
    for (int round = first; round <= loop.rounds(); round++) {
      long t0 = System.nanoTime();
      listener.onRoundStart(round, 1);
      TrainConfig tc = spec.training().trainConfig().withRound(round)
          .withSeed(root.derive(TRAIN_STREAM, round, index).nextLong());
      TrainResult tr = factory.create(ctx, own).fit(model, tc);
      PeerNode.Exchange x = node.exchange(round, tr.parameters());
      model = x.mixed();
      EvalResult ev = factory.create(testCtx, test).evaluate(model);
      Metrics m = Metrics.builder().put("train_loss", tr.metrics().getOrNaN(Metrics.LOSS))
          .putAll(ev.metrics().prefixed("test_"))
          .put(NEIGHBOURS, x.neighbours().size())
          .put(ANSWERED, x.answered().size())
          .build();
      RoundRecord rec = new RoundRecord(round, m, x.answered().size() + x.failures().size(), x.answered().size(),
          x.failures(), x.bytesSent(), x.bytesReceived(), (System.nanoTime() - t0) / 1e9);
      history.add(rec);
      listener.onRoundEnd(rec);
      listener.onRoundCommitted(round, model, history);
      Optional<String> stop = Optional.empty();
      for (StopCondition s : stops) {
        stop = s.check(history.rounds());
        if (stop.isPresent()) {
          break;
        }
      }
      if (stop.isPresent()) {
        history.stopReason(stop.get());
        break;
      }
    }
    if (history.stopReason().isEmpty()) {
      history.stopReason("round budget of " + loop.rounds() + " reached");
    }
    return new RoundLoop.Result(model, history);
  }

  @Override
  public void close() throws InterruptedException {
    try {
      node.close();
    } finally {
      data.close();
    }
  }
}
