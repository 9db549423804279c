package dev.starling.simulation;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.data.Standardizer;
import dev.starling.server.CheckpointStore;
import dev.starling.server.Checkpointer;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.server.ClientPool;
import dev.starling.server.RoundRecord;
import dev.starling.server.RunState;
import dev.starling.server.ClientProxy;
import dev.starling.simulation.clock.ClientProfile;
import dev.starling.simulation.clock.ClientTrace;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.simulation.sync.AsyncSimulation;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.strategy.ServerEvaluatedStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.simulation.adversary.AdversaryInterceptors;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.DetectionAudit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.Set;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Runs federated training with N virtual clients in one JVM, on the same {@link RoundLoop} and
 * strategies as a networked server. Local training runs in parallel on {@code threads} workers;
 * updates are folded in selection order, so a given seed reproduces bit-for-bit on the same machine
 * whatever the thread timing. Server-side evaluation on the test set after every round reports
 * {@code test_loss} and the task's metrics: {@code test_accuracy} (and {@code test_auc} for binary tasks),
 * {@code test_rmse}, {@code test_mae}, {@code test_r2} for regression, {@code test_perplexity} and
 * {@code test_accuracy} for next-token prediction. With standardisation on, the statistics are agreed by the
 * clients ({@link #standardizer()}) and applied to every client's rows and to the test set.
 *
 * <p>Order of use: construct, {@link #run} once, {@link #close()}. Not thread-safe.
 */
public final class Simulation implements AutoCloseable {
  private static final long PARTITION_STREAM = 0x9A27L;
  private static final long MALICIOUS_STREAM = 0x3A11L;

  private final SimulationConfig config;
  private final Dataset test;
  private final List<VirtualClient> clients;
  private final ExecutorService executor;
  private final Set<ClientId> malicious = new HashSet<>();
  private final List<List<TrainInterceptor>> adversaryChains = new ArrayList<>();
  private final TrainingStats stats = new TrainingStats();
  private final Standardizer standardizer;

  /** Partitions {@code train} among the clients and prepares the held-out {@code test} set. */
  public Simulation(SimulationConfig config, Dataset train, Dataset test) {
    this.config = Objects.requireNonNull(config, "config");
    if (train.numFeatures() != test.numFeatures() || train.numClasses() != test.numClasses()) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "train and test sets differ: " + train + " vs " + test);
    }
    this.executor = Executors.newFixedThreadPool(config.threads(), daemonThreads());
    RandomSource root = RandomSource.seeded(config.seed());
    List<ClientShard> shards = config.partitioner().partition(train, config.numClients(), root.derive(PARTITION_STREAM));
    this.clients = new ArrayList<>(shards.size());
    Adversity adv = config.adversity();
    int numMalicious = (int) Math.round(adv.maliciousFraction() * shards.size());
    int[] order = root.derive(MALICIOUS_STREAM).permutation(shards.size());
    boolean[] isMalicious = new boolean[shards.size()];
    for (int i = 0; i < numMalicious; i++) {
      isMalicious[order[i]] = true;
    }
    List<Dataset> locals = new ArrayList<>(shards.size());
    Standardizer.Statistics agreed = null;
    for (ClientShard shard : shards) {
      Dataset local = train.subset(shard.rows()).withName(train.name() + "#" + shard.key());
      locals.add(local);
      if (config.standardize()) {
        Standardizer.Statistics s = Standardizer.Statistics.of(local);
        agreed = agreed == null ? s : agreed.plus(s);
      }
    }
    this.standardizer = agreed == null ? null : agreed.standardizer();
    this.test = standardizer == null ? test : standardizer.apply(test);
    for (int i = 0; i < shards.size(); i++) {
      Dataset local = locals.get(i);
      if (standardizer != null) {
        local = standardizer.apply(local);
      }
      List<TrainInterceptor> chain = new ArrayList<>();
      if (isMalicious[i]) {
        malicious.add(ClientId.ofIndex(i));
        if (adv.attack().poisonsData()) {
          local = adv.attack().poison(local);
        } else {
          chain.add(AdversaryInterceptors.attacker(adv.attack(), root, i));
        }
      }
      if (adv.stragglerFraction() > 0) {
        chain.add(AdversaryInterceptors.straggler(adv.stragglerFraction(), adv.dropStragglers(), root, i));
      }
      adversaryChains.add(List.copyOf(chain));
      clients.add(new VirtualClient(i, local, config.model(), config.dropout(), root, executor, stats, config.subModels()));
    }
    if (config.clock().trace().isPresent()) { // every client's profile and availability from the trace file
      ClientTrace.Row[] rows = config.clock().trace().get().forClients(clients.stream().map(c -> c.id().value()).toList());
      for (int i = 0; i < clients.size(); i++) {
        clients.get(i).profile(rows[i].profile());
        clients.get(i).availability(rows[i].availability());
      }
    } else {
      ClientProfile[] profiles = config.clock().profiles(clients.size(), config.seed());
      for (int i = 0; i < clients.size(); i++) {
        clients.get(i).profile(profiles[i]);
      }
    }
  }

  /**
   * The standardisation every client, the server's evaluation and a saved model use, when it is on: agreed from
   * the clients' {@link Standardizer.Statistics} (row counts, sums and sums of squares of their training rows),
   * summed as a secure aggregation would sum them, so no client's rows or own statistics are needed.
   */
  public java.util.Optional<Standardizer> standardizer() {
    return java.util.Optional.ofNullable(standardizer);
  }

  /** The ids of the malicious clients (empty without an attack). */
  public Set<ClientId> maliciousClients() {
    return Set.copyOf(malicious);
  }

  /** The virtual clients, in index order. */
  public List<VirtualClient> clients() {
    return List.copyOf(clients);
  }

  /**
   * The model's initial parameters for this simulation's seed: those of the factory's learner on the test set
   * before any fit (for a {@link dev.starling.learners.ModelSpec}, drawn from {@link LearnerContext#initRandom()}).
   */
  public ParameterSet initialParameters() {
    return config.model().create(serverContext(), test).parameters();
  }

  private LearnerContext serverContext() {
    return LearnerContext.of(config.model().id(), test, config.seed());
  }

  /** Totals of local training work so far. */
  public TrainingStats trainingStats() {
    return stats;
  }

  /** The (preprocessed) test set the server evaluates on. */
  public Dataset testSet() {
    return test;
  }

  /**
   * Runs the round loop. {@code loopConfig}'s seed and fold order are overridden with the simulation's
   * seed and {@link FoldOrder#SELECTION} for reproducibility.
   */
  public RoundLoop.Result run(Strategy strategy, RoundLoopConfig loopConfig, RoundListener listener) {
    return run(strategy, loopConfig, listener, null, null);
  }

  /**
   * Runs the round loop, writing a checkpoint to {@code store} after every round (null: none) and
   * resuming from {@code from} (null: start at round 1). A checkpoint holds the global model, the
   * strategy's state (server optimiser moments, SCAFFOLD's control variate, the privacy budget spent),
   * the history and every virtual client's own state (SCAFFOLD's client control variates, error-feedback
   * residuals, sub-model bookkeeping), so a run resumed with the same configuration and seed is
   * bit-for-bit the run that was not interrupted (everything random is derived from (seed, round,
   * client); only {@link RoundRecord#seconds()} differs). {@code from} must come from a simulation with
   * the same model, seed, clients, partition and strategy ({@link #checkpointMetadata}), else
   * {@link dev.starling.core.error.FlException} FAILED_PRECONDITION names what differs. Rounds run on the
   * virtual clock: the round deadline is simulated time and {@code sim_seconds} is reported (a resumed
   * run continues the clock from the checkpoint's last {@code sim_seconds}).
   */
  public RoundLoop.Result run(Strategy strategy, RoundLoopConfig loopConfig, RoundListener listener, CheckpointStore store,
      RunState from) {
    if (config.clock().trace().map(ClientTrace::hasWindows).orElse(false)) {
      throw new IllegalArgumentException("client-trace availability windows need an asynchronous mode (--sync async,"
          + " buffered:K, semi-sync:DEADLINE, periodic:T or event:THRESHOLD): synchronous rounds cannot wait in"
          + " simulated time for a client to come back");
    }
    Strategy evaluated = prepareRun(strategy);
    RoundLoopConfig cfg = new RoundLoopConfig(loopConfig.rounds(), loopConfig.fractionFit(), loopConfig.minFitClients(),
        loopConfig.minAvailableClients(), loopConfig.minSuccessfulClients(), loopConfig.fractionEvaluate(),
        loopConfig.roundTimeout(), loopConfig.availabilityTimeout(), loopConfig.stopConditions(),
        loopConfig.trainDefaults(), config.seed(), FoldOrder.SELECTION, loopConfig.roundRetries(),
        loopConfig.maxExamplesPerClient());
    SyncClock clock = new SyncClock(loopConfig.roundTimeout());
    Map<String, String> meta = checkpointMetadata(strategy);
    if (from != null) {
      from.checkMetadata(meta, store == null ? "the given checkpoint" : store.directory().toString());
      restoreClientStates(from.clientStates());
      List<RoundRecord> done = from.history();
      if (!done.isEmpty()) {
        double t = done.get(done.size() - 1).metrics().getOrNaN(SyncClock.SIM_SECONDS);
        if (!Double.isNaN(t)) {
          clock.resumeAt(t);
        }
      }
    }
    List<ClientProxy> timed = new ArrayList<>(clients.size());
    for (VirtualClient c : clients) {
      timed.add(clock.wrap(c));
    }
    Strategy onClock = clock.reporting(evaluated);
    RoundListener all = listener;
    if (store != null) {
      List<String> ids = clients.stream().map(c -> c.id().value()).toList();
      all = RoundListener.all(listener, new Checkpointer(store, onClock, () -> ids, meta, this::clientStates));
    }
    return new RoundLoop(onClock, ClientPool.of(timed), cfg, all).run(initialParameters(), from);
  }

  /**
   * Runs an asynchronous, buffered, semi-synchronous, periodic or event-triggered federation on the event-driven
   * virtual clock ({@link AsyncSimulation}); {@code loopConfig}'s seed is overridden with the simulation's.
   */
  public RoundLoop.Result runAsync(Strategy strategy, RoundLoopConfig loopConfig, SyncPolicy policy,
      AsyncDriver.Settings settings, RoundListener listener) {
    return runAsync(strategy, loopConfig, policy, settings, listener, null, null);
  }

  /**
   * {@link #runAsync(Strategy, RoundLoopConfig, SyncPolicy, AsyncDriver.Settings, RoundListener)} writing a
   * checkpoint to {@code store} after every aggregation (null: none) and resuming from {@code from} (null: from the
   * start). A checkpoint holds what a synchronous one does (global model, strategy state, history) and the
   * driver's {@link dev.starling.server.AsyncState} (model version, simulated time, jobs dispatched, update buffer);
   * jobs in flight at the checkpoint are lost on resume (their clients are idle again), so a resumed run is not the
   * uninterrupted one, but resuming the same checkpoint twice gives the same run bit for bit. Virtual clients' own
   * state is not kept (their jobs in flight change it on the workers while the checkpoint is written): a resumed
   * run starts them afresh (error-feedback residuals at zero). {@code from} must come from a simulation with the
   * same {@link #checkpointMetadata(Strategy, SyncPolicy)}, else FAILED_PRECONDITION names what differs.
   */
  public RoundLoop.Result runAsync(Strategy strategy, RoundLoopConfig loopConfig, SyncPolicy policy,
      AsyncDriver.Settings settings, RoundListener listener, CheckpointStore store, RunState from) {
    Strategy evaluated = prepareRun(strategy, policy instanceof SyncPolicy.Event e
        ? List.of(new dev.starling.core.learner.EventTrigger(e.threshold())) : List.of());
    Map<String, String> meta = checkpointMetadata(strategy, policy);
    if (from != null) {
      from.checkMetadata(meta, store == null ? "the given checkpoint" : store.directory().toString());
    }
    List<String> ids = clients.stream().map(c -> c.id().value()).toList();
    return new AsyncSimulation(evaluated, clients, loopConfig, config.seed(), policy, settings, listener)
        .run(initialParameters(), store == null ? null
            : async -> new Checkpointer(store, evaluated, () -> ids, meta, Map::of, async), from);
  }

  private Strategy prepareRun(Strategy strategy) {
    return prepareRun(strategy, List.of());
  }

  /**
   * Installs the client-side chains ({@code outermost} first, e.g. the event trigger, which sees the result as
   * it would leave the client) and returns the strategy with the audit and server-side evaluation.
   */
  private Strategy prepareRun(Strategy strategy, List<TrainInterceptor> outermost) {
    LearnerFactory model = config.model();
    LearnerContext ctx = serverContext();
    // one set of codec interceptors for all clients: the broadcast is encoded once per round, not per client
    List<TrainInterceptor> codecs = config.communication().interceptors(config.seed());
    for (int i = 0; i < clients.size(); i++) {
      List<TrainInterceptor> chain = new ArrayList<>(outermost);
      chain.addAll(codecs);
      chain.addAll(adversaryChains.get(i));
      chain.addAll(strategy.clientInterceptors());
      clients.get(i).intercept(chain);
    }
    Strategy audited = malicious.isEmpty() ? strategy : new DetectionAudit(strategy, malicious);
    return new ServerEvaluatedStrategy(audited, p -> model.create(ctx, test).evaluate(p).metrics());
  }

  /**
   * What a checkpoint of this simulation records about the run, and a resume checks: model, seed, number
   * of clients, partition, training rows and the strategy's description.
   */
  public Map<String, String> checkpointMetadata(Strategy strategy) {
    return checkpointMetadata(strategy, new SyncPolicy.Sync());
  }

  /** {@link #checkpointMetadata(Strategy)} with the synchronisation mode ({@code sync}). */
  public Map<String, String> checkpointMetadata(Strategy strategy, SyncPolicy sync) {
    Map<String, String> m = new LinkedHashMap<>();
    m.put("run", "simulation");
    m.put("model", config.model().id());
    m.put("seed", Long.toString(config.seed()));
    m.put("clients", Integer.toString(clients.size()));
    m.put("partition", config.partitioner().describe());
    m.put("train_rows", Integer.toString(clients.stream().mapToInt(c -> c.data().size()).sum()));
    m.put("strategy", strategy.describe());
    m.put("sync", sync.describe());
    return m;
  }

  /** Each virtual client's own state ({@link dev.starling.core.learner.ClientState#snapshot()}), by client id; clients holding none are left out. */
  public Map<String, ParameterSet> clientStates() {
    Map<String, ParameterSet> out = new TreeMap<>();
    for (VirtualClient c : clients) {
      ParameterSet s = c.stateSnapshot();
      if (s.count() > 0) {
        out.put(c.id().value(), s);
      }
    }
    return out;
  }

  private void restoreClientStates(Map<String, ParameterSet> states) {
    Map<String, VirtualClient> byId = new LinkedHashMap<>();
    clients.forEach(c -> byId.put(c.id().value(), c));
    for (Map.Entry<String, ParameterSet> e : states.entrySet()) {
      VirtualClient c = byId.get(e.getKey());
      if (c == null) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the checkpoint holds state of client " + e.getKey()
            + ", which this simulation of " + clients.size() + " clients does not have");
      }
      c.restoreState(e.getValue());
    }
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  private static ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "starling-sim-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
