package dev.starling.p2p;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.Task;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.privacy.dp.LocalDpConfig;
import dev.starling.privacy.dp.LocalDpStrategy;
import dev.starling.privacy.dp.PrivacyBudgetTracker;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.server.StopCondition;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Decentralised training of n simulated peers in one JVM, no server: every round each peer trains locally with a
 * learner from the run's {@link LearnerFactory} on its own data (in parallel), then gossips with its neighbours as the
 * {@link GossipEngine} says. Results do not depend on the thread count: every peer's seed is derived from
 * (seed, round, peer) and the gossip rows are independent.
 *
 * <p>Per round it reports, as a {@link RoundRecord} (so the metrics file and the progress bar work as for federated
 * runs): {@code train_loss} (mean of the honest peers' local losses), {@code test_*} of the honest peers' averaged
 * model, {@code consensus_distance} (mean squared distance of the honest peers' models to their average),
 * {@code peer_accuracy_min|median|max} (for regression {@code peer_rmse_*}) of each honest peer's own model on the
 * test set, {@code bytes_per_peer} sent this round, and with local DP each peer's {@code epsilon} (the largest). The
 * record's {@code bytes_up} is everything sent this round, which is also everything received ({@code bytes_down}).
 * Byzantine peers (given by index) train and send whatever their interceptors make them send and are left out of
 * every honest statistic.
 *
 * <p>Order of use: construct, {@link #run} once, {@link #close}.
 */
public final class GossipSimulation implements AutoCloseable {
  private static final long TRAIN_STREAM = 0x7A11L;
  /** Metric names this class adds to a round. */
  public static final String CONSENSUS = "consensus_distance";
  public static final String BYTES_PER_PEER = "bytes_per_peer";

  private final GossipConfig config;
  private final LearnerFactory factory;
  private final List<Dataset> data;
  private final Dataset test;
  private final List<List<TrainInterceptor>> chains;
  private final int[] honest;
  private final ExecutorService executor;
  private final List<LearnerContext> contexts;
  private final LearnerContext testContext;
  private final List<ClientState> states;
  private final List<PrivacyBudgetTracker> budgets;

  /**
   * {@code peerData.get(i)}: peer i's (already preprocessed) rows; {@code interceptors.get(i)}: what wraps peer i's
   * local training besides local DP (an attack for a Byzantine peer, outermost), empty for an honest one;
   * {@code byzantine}: the indices left out of the honest statistics.
   */
  public GossipSimulation(GossipConfig config, LearnerFactory factory, List<Dataset> peerData, Dataset test,
      List<List<TrainInterceptor>> interceptors, Set<Integer> byzantine) {
    this.config = Objects.requireNonNull(config, "config");
    this.factory = Objects.requireNonNull(factory, "factory");
    this.data = List.copyOf(peerData);
    this.test = Objects.requireNonNull(test, "test");
    int n = config.topology().peers();
    if (data.size() != n || interceptors.size() != n) {
      throw new IllegalArgumentException("topology " + config.topology().describe() + " has " + n + " peers but "
          + data.size() + " data sets and " + interceptors.size() + " interceptor chains were given");
    }
    TreeSet<Integer> good = new TreeSet<>();
    for (int i = 0; i < n; i++) {
      if (!byzantine.contains(i)) {
        good.add(i);
      }
    }
    if (good.isEmpty()) {
      throw new IllegalArgumentException("every peer is Byzantine; at least one honest peer is needed");
    }
    this.honest = good.stream().mapToInt(Integer::intValue).toArray();
    // refuses a mode the topology cannot run (and robust gossip with push-sum or CHOCO) before any training
    new GossipEngine(config.topology(), config.mode(), config.robust(), new float[1], config.seed(), null);
    List<List<TrainInterceptor>> cs = new ArrayList<>(n);
    this.budgets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      List<TrainInterceptor> c = new ArrayList<>(interceptors.get(i));
      if (config.localDp().isPresent()) {
        LocalDpConfig dp = config.localDp().get();
        c.add(LocalDpStrategy.interceptor(dp));
        PrivacyBudgetTracker t = new PrivacyBudgetTracker(dp.accountant(), dp.delta(), dp.targetEpsilon());
        // as LocalDpStrategy: replacing a peer's data moves its clipped update by 2C, every round (q = 1)
        t.configure(1.0, dp.noiseMultiplier() / 2);
        t.checkCanStart();
        budgets.add(t);
      }
      cs.add(List.copyOf(c));
    }
    this.chains = List.copyOf(cs);
    this.contexts = data.stream().map(d -> LearnerContext.of(factory.id(), d, config.seed())).toList();
    this.testContext = LearnerContext.of(factory.id(), test, config.seed());
    this.states = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      states.add(new ClientState());
    }
    AtomicInteger count = new AtomicInteger();
    this.executor = Executors.newFixedThreadPool(config.threads(), r -> {
      Thread t = new Thread(r, "starling-peer-" + count.incrementAndGet());
      t.setDaemon(true);
      return t;
    });
  }

  /** The initial model every peer starts from: the factory's learner on the test set before any fit. */
  public ParameterSet initialParameters() {
    return factory.create(testContext, test).parameters();
  }

  /** The indices of the honest peers. */
  public int[] honestPeers() {
    return honest.clone();
  }

  /**
   * Runs the rounds; the result's model is the honest peers' average after the last round. {@code listener} sees
   * each round start, end and commit (with the averaged model).
   */
  public RoundLoop.Result run(RoundListener listener) {
    ParameterSet template = initialParameters();
    GossipEngine engine = new GossipEngine(config.topology(), config.mode(), config.robust(), template.flatten(),
        config.seed(), executor);
    int n = engine.peers();
    RandomSource root = RandomSource.seeded(config.seed());
    History history = new History();
    ParameterSet average = template;
    for (int round = 1; round <= config.rounds(); round++) {
      Optional<String> budget = budgets.stream().map(PrivacyBudgetTracker::exhausted).flatMap(Optional::stream)
          .findFirst();
      if (budget.isPresent()) {
        history.stopReason(budget.get());
        break;
      }
      long t0 = System.nanoTime();
      listener.onRoundStart(round, n);
      int r = round;
      List<Callable<TrainResult>> jobs = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        int peer = i;
        ParameterSet start = template.unflatten(engine.model(i));
        TrainConfig tc = config.training().withRound(round)
            .withSeed(root.derive(TRAIN_STREAM, round, peer).nextLong());
        jobs.add(() -> TrainInterceptor.run(chains.get(peer), start, tc, states.get(peer),
            (g, c) -> factory.create(contexts.get(peer), data.get(peer)).fit(g, c)));
      }
      List<TrainResult> results = all(jobs);
      float[][] trained = new float[n][];
      double loss = 0;
      for (int i = 0; i < n; i++) {
        trained[i] = results.get(i).parameters().flatten();
      }
      for (int i : honest) {
        loss += results.get(i).metrics().getOrNaN(Metrics.LOSS);
      }
      long[] bytes = engine.gossip(round, trained);
      budgets.forEach(PrivacyBudgetTracker::record);

      float[][] models = new float[honest.length][];
      for (int k = 0; k < honest.length; k++) {
        models[k] = engine.model(honest[k]);
      }
      double[] avg = GossipEngine.average(models);
      float[] avgF = new float[avg.length];
      for (int t = 0; t < avg.length; t++) {
        avgF[t] = (float) avg[t];
      }
      average = template.unflatten(avgF);
      ParameterSet avgModel = average;
      List<Callable<EvalResult>> evals = new ArrayList<>(honest.length + 1);
      evals.add(() -> factory.create(testContext, test).evaluate(avgModel));
      for (float[] m : models) {
        ParameterSet p = template.unflatten(m);
        evals.add(() -> factory.create(testContext, test).evaluate(p));
      }
      List<EvalResult> ev = all(evals);
      long total = Arrays.stream(bytes).sum();
      Metrics.Builder mb = Metrics.builder().put("train_loss", loss / honest.length);
      mb.putAll(ev.get(0).metrics().prefixed("test_"));
      mb.put(CONSENSUS, GossipEngine.consensusDistance(models));
      String main = test.task() == Task.REGRESSION ? Metrics.RMSE : Metrics.ACCURACY;
      double[] own = new double[honest.length];
      for (int k = 0; k < honest.length; k++) {
        own[k] = ev.get(k + 1).metrics().getOrNaN(main);
      }
      Arrays.sort(own);
      int m = own.length;
      mb.put("peer_" + main + "_min", own[0]);
      mb.put("peer_" + main + "_median", m % 2 == 1 ? own[m / 2] : 0.5 * (own[m / 2 - 1] + own[m / 2]));
      mb.put("peer_" + main + "_max", own[m - 1]);
      mb.put(BYTES_PER_PEER, (double) total / n);
      if (!budgets.isEmpty()) {
        double eps = budgets.stream().mapToDouble(PrivacyBudgetTracker::epsilon).max().orElse(0);
        mb.put(PrivacyBudgetTracker.EPSILON, eps);
        mb.put(PrivacyBudgetTracker.DELTA, budgets.get(0).delta());
      }
      RoundRecord rec = new RoundRecord(round, mb.build(), n, n, List.of(), total, total, (System.nanoTime() - t0) / 1e9);
      history.add(rec);
      listener.onRoundEnd(rec);
      listener.onRoundCommitted(round, average, history);
      Optional<String> stop = Optional.empty();
      for (StopCondition s : config.stops()) {
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
      history.stopReason("round budget of " + config.rounds() + " reached");
    }
    return new RoundLoop.Result(average, history);
  }

  private <T> List<T> all(List<Callable<T>> jobs) {
    List<Future<T>> fs = new ArrayList<>(jobs.size());
    for (Callable<T> j : jobs) {
      fs.add(executor.submit(j));
    }
    List<T> out = new ArrayList<>(jobs.size());
    for (Future<T> f : fs) {
      try {
        out.add(f.get());
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException re) {
          throw re;
        }
        if (c instanceof Error err) {
          throw err;
        }
        throw new IllegalStateException(c);
      }
    }
    return out;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }
}
