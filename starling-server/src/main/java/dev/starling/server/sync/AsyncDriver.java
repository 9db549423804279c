package dev.starling.server.sync;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EventTrigger;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.AsyncState;
import dev.starling.server.ClientProxy;
import dev.starling.server.CommitGuard;
import dev.starling.server.FitOutcome;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.RunState;
import dev.starling.server.StopCondition;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.UpdateValidator;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.CancellationException;

/**
 * The asynchronous driver: runs a {@link SyncPolicy} other than {@link SyncPolicy.Sync} with the same
 * {@link Strategy}, {@link UpdateValidator}, {@link CommitGuard}, stop conditions, {@link RoundRecord}s (one per
 * aggregation) and listeners as the synchronous {@link RoundLoop}. One implementation for simulation and the
 * network: the {@link AsyncEnvironment} says what time it is (the simulation's virtual clock, or the wall clock)
 * and starts the clients' jobs (virtual clients, or connected ones behind {@link ClientProxy}).
 *
 * <p>Clients are given a job as soon as they are free, up to a concurrency limit ({@code async},
 * {@code buffered}, {@code periodic}), or in rounds ({@code semi-sync}, {@code event}).
 *
 * <p><b>Reusing the strategy.</b> An update trained from version tau reaches a server at version t. Each
 * aggregation is an ordinary {@link Strategy#beginAggregation} from the current model x, and each buffered
 * update is handed to it rebased onto x: FedAsync passes {@code x + a (x_new - x)} with
 * {@code a = ALPHA s(t - tau)} (one update per aggregation, so FedAvg returns exactly
 * {@code (1 - a) x + a x_new}); the other modes pass {@code x + w (x_new - x_tau)} with
 * {@code w = ETA / sqrt(1 + t - tau)} (FedBuff; ETA = 1 outside {@code buffered}), so FedAvg applies the
 * example-weighted mean of the staleness-weighted deltas, a server optimiser (FedAdam, FedAvgM, ...) steps on
 * that mean, a robust rule ranks the K rebased updates, central DP clips and noises per aggregation. An update
 * as fresh as the model (tau = t, weight 1) is passed unchanged. Strategies whose client half holds state tied
 * to the round's model (SCAFFOLD's control variates) are refused by the assembler.
 *
 * <p>A {@code stalenessBound} S drops updates older than S versions; each is recorded as a failure
 * ({@link ErrorCode#FAILED_PRECONDITION}) with the reason. In {@code event} mode a client whose accumulated
 * change is below the threshold reports a skip ({@link EventTrigger#SKIPPED}): counted, not aggregated. The
 * round budget counts aggregations. Every record carries the environment's clock ({@code sim_seconds} on the
 * virtual clock), {@code model_version}, {@code staleness_mean} and {@code staleness_max} (and
 * {@code updates_skipped} for {@code event}). Not thread-safe: one {@link #run} per instance.
 *
 * <p><b>Checkpoints.</b> {@link #snapshot()}, called from a listener's {@link RoundListener#onRoundCommitted}
 * (after an aggregation), is the driver's {@link AsyncState}: model version, clock, jobs dispatched, the next
 * evaluation time, the buffer of received updates not applied yet with the models they were trained from.
 * {@link #run(ParameterSet, RunState)} resumes from it: the strategy's state, global model, aggregation count
 * and history come back, the environment's clock continues from the checkpoint, and the jobs that were in
 * flight are lost (their clients are idle again; the new jobs draw their clients from a stream derived from
 * the seed and the aggregation count, so resuming one checkpoint twice gives the same run).
 */
public final class AsyncDriver {
  private static final long SELECT_STREAM = 0x5E1EC7L;
  private static final long SEED_STREAM = 0x5EED5L;
  private static final long RESUME_STREAM = 0x2E5C3EL;

  /**
   * Settings beside the mode.
   *
   * @param concurrency clients training at once in the continuous modes ({@code async}, {@code buffered},
   *     {@code periodic}); 0: the round loop's clients per round
   * @param stalenessBound drop updates more than this many versions old; empty: keep all
   * @param evalEverySeconds server-side evaluation ({@link Strategy#evaluate}) at most once per this many seconds
   *     of the clock (0: after every aggregation); records in between carry no {@code test_*} metrics. For
   *     FedAsync on large test sets, where every single update is an aggregation
   */
  public record Settings(int concurrency, OptionalInt stalenessBound, double evalEverySeconds) {
    /** Evaluation after every aggregation. */
    public Settings(int concurrency, OptionalInt stalenessBound) {
      this(concurrency, stalenessBound, 0);
    }

    public Settings {
      if (!(evalEverySeconds >= 0) || !Double.isFinite(evalEverySeconds)) {
        throw new IllegalArgumentException("eval-every must be >= 0 seconds. Provided value: " + evalEverySeconds);
      }
      if (concurrency < 0) {
        throw new IllegalArgumentException("concurrency must be >= 0. Provided value: " + concurrency);
      }
      Objects.requireNonNull(stalenessBound, "stalenessBound");
      stalenessBound.ifPresent(s -> {
        if (s < 0) {
          throw new IllegalArgumentException("staleness-bound must be >= 0. Provided value: " + s);
        }
      });
    }

    public static Settings defaults() {
      return new Settings(0, OptionalInt.empty());
    }
  }

  private final Strategy strategy;
  private final AsyncEnvironment env;
  private final RoundLoopConfig config;
  private final SyncPolicy policy;
  private final Settings settings;
  private final RoundListener listener;
  private final RandomSource root;
  private RandomSource dispatchRng;

  private double nextEval;
  private long jobs;
  // the server
  private ParameterSet global;
  private int version;
  private int round;
  private final Map<Integer, ParameterSet> models = new HashMap<>();
  private final Map<Integer, Integer> refs = new HashMap<>();
  private final List<Pending> buffer = new ArrayList<>();
  private final List<ClientFailure> failures = new ArrayList<>();
  private long bytesUp;
  private long bytesDown;
  private int skipped;
  private int arrivalsSinceRecord;
  private long wallStart = System.nanoTime();
  private final History history = new History();
  private String stop;
  private int inFlight;
  // round-based modes (semi-sync, event)
  private int openRound;
  private int outstanding;

  public AsyncDriver(Strategy strategy, AsyncEnvironment env, RoundLoopConfig config, SyncPolicy policy,
      Settings settings, RoundListener listener) {
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.env = Objects.requireNonNull(env, "env");
    this.config = Objects.requireNonNull(config, "config");
    this.policy = Objects.requireNonNull(policy, "policy");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.listener = Objects.requireNonNull(listener, "listener");
    if (policy.synchronous()) {
      throw new IllegalArgumentException("sync runs on the round loop, not on " + getClass().getSimpleName());
    }
    this.root = RandomSource.seeded(config.seed());
    this.dispatchRng = root.derive(SELECT_STREAM);
  }

  /** Clients selected per round by the round loop's fraction and minimum, of {@code n} known. */
  static int clientsPerRound(RoundLoopConfig config, int n) {
    return Math.min(n, Math.max(config.minFitClients(), (int) Math.floor(config.fractionFit() * n)));
  }

  private int clientsPerRound() {
    return clientsPerRound(config, env.clients());
  }

  /** Updates per aggregation, as told to the strategy's {@link Strategy#prepare}. */
  public static int updatesPerAggregation(SyncPolicy policy, int clientsPerRound) {
    return switch (policy) {
      case SyncPolicy.FedAsync a -> 1;
      case SyncPolicy.Buffered b -> b.k();
      default -> clientsPerRound;
    };
  }

  private int concurrency() {
    return Math.min(env.clients(), settings.concurrency() > 0 ? settings.concurrency() : clientsPerRound());
  }

  /** Runs until the aggregation budget or a stop condition, starting from {@code initial}. */
  public RoundLoop.Result run(ParameterSet initial) {
    return run(initial, null);
  }

  /**
   * Resumes a run from a checkpoint taken after an aggregation ({@code from} null: starts from {@code initial}):
   * the strategy is prepared and initialised as usual, then given back its saved state, and aggregations continue
   * at {@code from.round() + 1} from the saved model, version, buffer and clock. Throws {@link FlException}
   * (FAILED_PRECONDITION) if {@code from} has no asynchronous section (a synchronous run's checkpoint).
   */
  public RoundLoop.Result run(ParameterSet initial, RunState from) {
    env.awaitClients(config.minAvailableClients());
    int n = Math.max(env.clients(), config.minAvailableClients());
    strategy.prepare(new RoundPlan(Math.min(n, updatesPerAggregation(policy, clientsPerRound(config, n))), n));
    global = strategy.initialize(initial);
    models.put(0, global);
    if (from != null) {
      restore(from);
    }
    wallStart = System.nanoTime();
    if (round >= config.rounds()) {
      stop = "aggregation budget of " + config.rounds() + " reached";
    }
    try {
      if (stop != null) {
        history.stopReason(stop);
        return new RoundLoop.Result(global, history);
      }
      switch (policy) {
        case SyncPolicy.SemiSync s -> startRound();
        case SyncPolicy.Event e -> startRound();
        case SyncPolicy.Periodic p -> {
          env.tickAt(p.periodSeconds(), 0);
          fill();
        }
        default -> fill();
      }
      while (stop == null) {
        AsyncEnvironment.Event ev = env.next();
        if (ev == null) {
          stop = "no client can be given work";
          break;
        }
        switch (ev.kind()) {
          case ARRIVED -> arrived(ev.job());
          case TICK -> tick(ev.tag());
          case IDLE -> idle();
        }
      }
    } finally {
      env.cancelAll();
    }
    history.stopReason(stop);
    return new RoundLoop.Result(global, history);
  }

  private void restore(RunState from) {
    AsyncState a = from.async().orElseThrow(() -> new FlException(ErrorCode.FAILED_PRECONDITION, "the checkpoint of"
        + " round " + from.round() + " holds no asynchronous state (it is a synchronous run's, or of a format before"
        + " version 4): resume it with sync mode 'sync', or start a new " + policy.describe() + " run"));
    strategy.restoreState(from.strategyState());
    global = from.global();
    version = a.modelVersion();
    round = from.round();
    from.history().forEach(history::add);
    models.clear();
    models.putAll(a.models());
    models.put(version, global);
    jobs = a.jobs();
    nextEval = a.nextEval();
    for (AsyncState.Buffered b : a.buffer()) {
      buffer.add(new Pending(new ClientId(b.client()), new TrainResult(b.parameters(), b.numExamples(), b.localSteps(),
          b.metrics()), b.startVersion(), models.get(b.startVersion())));
    }
    env.resumeAt(a.clockSeconds());
    dispatchRng = root.derive(SELECT_STREAM, RESUME_STREAM, round);
  }

  /**
   * The driver's state for a checkpoint, consistent between aggregations (call it from
   * {@link RoundListener#onRoundCommitted}); jobs in flight are not part of it.
   */
  public Optional<AsyncState> snapshot() {
    Map<Integer, ParameterSet> kept = new HashMap<>();
    List<AsyncState.Buffered> b = new ArrayList<>(buffer.size());
    for (Pending p : buffer) {
      if (p.startVersion != version) {
        kept.put(p.startVersion, p.start);
      }
      TrainResult r = p.result;
      b.add(new AsyncState.Buffered(p.client.value(), p.startVersion, r.numExamples(), r.localSteps(), r.metrics(),
          r.parameters()));
    }
    return Optional.of(new AsyncState(version, env.now(), jobs, nextEval, b, kept));
  }

  // ---- clients ---------------------------------------------------------------------------------------

  private void fill() {
    int c = concurrency();
    while (inFlight < c && env.idle() > 0) {
      dispatch(env.takeIdle(dispatchRng), 0);
    }
  }

  private void idle() {
    if (continuous()) {
      if (inFlight == 0 && env.idle() == 0) {
        env.awaitClients(1); // every client left: wait for one (or give up after the availability timeout)
      }
      fill();
    }
  }

  private void dispatch(ClientProxy client, int roundTag) {
    inFlight++;
    long trainSeed = root.derive(jobs++, SEED_STREAM, client.id().value().hashCode()).nextLong();
    TrainConfig cfg = strategy.configureTrain(round + 1, client.id(),
        config.trainDefaults().withRound(round + 1).withSeed(trainSeed));
    refs.merge(version, 1, Integer::sum);
    env.launch(new AsyncEnvironment.Job(client, version, env.now(), roundTag), global, cfg);
  }

  private void arrived(AsyncEnvironment.Job job) {
    ClientId id = job.client().id();
    inFlight--;
    arrivalsSinceRecord++;
    ParameterSet start = models.get(job.startVersion());
    release(job.startVersion());
    boolean ok = job.outcome() != null;
    if (!ok) {
      failures.add(failureOf(id, job.error()));
    } else {
      TrainResult r = job.outcome().result();
      bytesDown += job.outcome().bytesDown();
      bytesUp += job.outcome().bytesUp();
      int tau = version - job.startVersion();
      if (EventTrigger.skipped(r)) {
        skipped++; // the client reported a skip: no model crossed the uplink
        ok = false;
      } else {
        try {
          UpdateValidator.validate(start, id, r, config.maxExamplesPerClient());
          if (settings.stalenessBound().isPresent() && tau > settings.stalenessBound().getAsInt()) {
            failures.add(new ClientFailure(id, ErrorCode.FAILED_PRECONDITION, "update trained from model version "
                + job.startVersion() + " is " + tau + " versions stale, more than the staleness bound of "
                + settings.stalenessBound().getAsInt() + "; dropped"));
            ok = false;
          } else {
            buffer.add(new Pending(id, r, job.startVersion(), start));
          }
        } catch (FlException e) {
          failures.add(failureOf(id, e));
          ok = false;
        }
      }
    }
    listener.onClientDone(round + 1, id, ok);
    if (job.outcome() != null) {
      FitOutcome o = job.outcome();
      double seconds = Double.isNaN(o.seconds()) ? env.now() - job.dispatched() : o.seconds();
      listener.onClientStats(round + 1, new dev.starling.server.ClientRoundStats(id, ok, o.result().numExamples(),
          o.result().metrics().getOrNaN(Metrics.LOSS), seconds, o.bytesUp(), o.bytesDown()));
    }
    boolean roundJob = job.roundTag() == openRound && job.roundTag() > 0;
    if (roundJob) {
      outstanding--;
    }
    switch (policy) {
      case SyncPolicy.FedAsync a -> {
        if (!buffer.isEmpty()) {
          aggregate();
        }
      }
      case SyncPolicy.Buffered b -> {
        if (buffer.size() >= b.k()) {
          aggregate();
        }
      }
      case SyncPolicy.SemiSync s -> {
        if (roundJob && outstanding == 0) {
          closeRound();
        }
      }
      case SyncPolicy.Event e -> {
        if (roundJob && outstanding == 0) {
          closeRound();
        }
      }
      default -> { }
    }
    if (stop == null && arrivalsSinceRecord >= Math.max(1000, 10 * env.clients())) {
      aggregate(); // nothing usable for very long: record it rather than loop silently
    }
    if (stop == null && continuous()) {
      fill();
    }
  }

  private boolean continuous() {
    return !(policy instanceof SyncPolicy.SemiSync || policy instanceof SyncPolicy.Event);
  }

  private void tick(int tag) {
    switch (policy) {
      case SyncPolicy.Periodic p -> {
        aggregate();
        if (stop == null) {
          env.tickAt(env.now() + p.periodSeconds(), 0);
        }
      }
      default -> {
        if (tag == openRound) {
          closeRound(); // the deadline of a round whose clients are not all back
        }
      }
    }
  }

  private void startRound() {
    openRound++;
    env.awaitClients(config.minAvailableClients());
    int k = Math.min(clientsPerRound(), env.idle());
    outstanding = k;
    for (int i = 0; i < k; i++) {
      dispatch(env.takeIdle(dispatchRng), openRound);
    }
    double limit = switch (policy) {
      case SyncPolicy.SemiSync s -> s.deadlineSeconds();
      case SyncPolicy.Event e -> e.maxIntervalSeconds() > 0 ? e.maxIntervalSeconds() : config.roundTimeout().toNanos() / 1e9;
      default -> throw new IllegalStateException();
    };
    env.tickAt(env.now() + limit, openRound);
  }

  private void closeRound() {
    aggregate();
    if (stop == null) {
      startRound();
    }
  }

  // ---- server ----------------------------------------------------------------------------------------

  private void aggregate() {
    round++;
    double now = env.now();
    listener.onRoundStart(round, buffer.size() + failures.size());
    ParameterSet stateBefore = strategy.saveState();
    Aggregation agg = strategy.beginAggregation(round, global);
    double stalenessSum = 0;
    int stalenessMax = 0;
    for (Pending p : buffer) {
      int tau = version - p.startVersion;
      stalenessSum += tau;
      stalenessMax = Math.max(stalenessMax, tau);
      agg.accept(p.client, p.result.withParameters(rebase(p, tau)));
    }
    AggregateResult res = agg.finish(failures);
    int succeeded = buffer.size();
    int needed = Math.min(config.minSuccessfulClients(), Math.min(env.clients(),
        updatesPerAggregation(policy, clientsPerRound())));
    String reason = "";
    Metrics metrics;
    if (succeeded >= Math.max(1, needed)) {
      String bad = CommitGuard.rejectNonFinite(strategy, res.parameters(), stateBefore, "aggregation");
      if (bad == null) {
        global = res.parameters();
        version++;
        models.put(version, global);
        metrics = res.metrics();
        dropUnreferenced();
      } else {
        reason = bad;
        metrics = Metrics.builder().putAll(res.metrics()).put("round_failed", 1).build();
      }
    } else {
      reason = succeeded + " updates in this aggregation, fewer than " + Math.max(1, needed)
          + " (min-successful-clients); the previous global model is kept";
      metrics = Metrics.builder().putAll(res.metrics()).put("round_failed", 1).build();
    }
    if (settings.evalEverySeconds() == 0 || now >= nextEval || round >= config.rounds()) {
      nextEval = now + settings.evalEverySeconds();
      Optional<Metrics> server = strategy.evaluate(round, global);
      if (server.isPresent()) {
        metrics = metrics.with(server.get());
      }
    }
    Metrics.Builder clock = Metrics.builder().put(env.clockMetric(), now).put("model_version", version)
        .put("staleness_mean", succeeded == 0 ? 0 : stalenessSum / succeeded).put("staleness_max", stalenessMax);
    if (policy instanceof SyncPolicy.Event) {
      clock.put("updates_skipped", skipped);
    }
    metrics = metrics.with(clock.build());
    double seconds = (System.nanoTime() - wallStart) / 1e9;
    wallStart = System.nanoTime();
    RoundRecord rec = new RoundRecord(round, metrics, succeeded + failures.size() + skipped, succeeded, failures,
        bytesUp, bytesDown, seconds, res.verdicts(), reason);
    buffer.clear();
    failures.clear();
    bytesUp = 0;
    bytesDown = 0;
    skipped = 0;
    arrivalsSinceRecord = 0;
    history.add(rec);
    listener.onRoundEnd(rec);
    listener.onRoundCommitted(round, global, history);
    for (StopCondition c : config.stopConditions()) {
      Optional<String> s = c.check(history.rounds());
      if (s.isPresent()) {
        stop = s.get();
        return;
      }
    }
    if (round >= config.rounds()) {
      stop = "aggregation budget of " + config.rounds() + " reached";
    }
  }

  /** The update as the strategy sees it: rebased onto the current model with its staleness weight. */
  private ParameterSet rebase(Pending p, int tau) {
    ParameterSet trained = p.result.parameters();
    double w;
    ParameterSet from;
    switch (policy) {
      case SyncPolicy.FedAsync a -> {
        w = a.alpha() * a.staleness().weight(tau);
        from = global; // x <- (1 - a) x + a x_new
      }
      case SyncPolicy.Buffered b -> {
        w = b.eta() * Staleness.fedBuff(tau);
        from = p.start;
      }
      default -> {
        w = Staleness.fedBuff(tau);
        from = p.start;
      }
    }
    if (tau == 0 && w == 1) {
      return trained;
    }
    return mix(global, from, trained, w);
  }

  /** {@code x + w (trained - from)}, tensor by tensor, in float32. */
  public static ParameterSet mix(ParameterSet x, ParameterSet from, ParameterSet trained, double w) {
    List<Tensor> out = new ArrayList<>(x.count());
    float wf = (float) w;
    for (Tensor t : x) {
      float[] a = t.data();
      float[] f = from.get(t.name()).data();
      float[] n = trained.get(t.name()).data();
      float[] o = new float[a.length];
      for (int i = 0; i < a.length; i++) {
        o[i] = a[i] + wf * (n[i] - f[i]);
      }
      out.add(Tensor.of(t.name(), o, t.shape()));
    }
    return ParameterSet.of(out);
  }

  private void release(int v) {
    int left = refs.merge(v, -1, Integer::sum);
    if (left <= 0) {
      refs.remove(v);
      if (v != version) {
        models.remove(v);
      }
    }
  }

  private void dropUnreferenced() {
    models.keySet().removeIf(v -> v != version && !refs.containsKey(v));
  }

  private static ClientFailure failureOf(ClientId id, Throwable t) {
    if (t instanceof FlException fe) {
      return new ClientFailure(id, fe.code(), String.valueOf(fe.getMessage()));
    }
    if (t instanceof CancellationException) {
      return new ClientFailure(id, ErrorCode.CANCELLED, "cancelled");
    }
    return new ClientFailure(id, ErrorCode.UNKNOWN, t == null ? "no result"
        : t.getClass().getSimpleName() + ": " + t.getMessage());
  }

  private record Pending(ClientId client, TrainResult result, int startVersion, ParameterSet start) {}

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "AsyncDriver(%s)", policy.describe());
  }
}
