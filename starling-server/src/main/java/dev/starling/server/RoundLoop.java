package dev.starling.server;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.message.ClientReply;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.UpdateValidator;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeoutException;

/**
 * The federated round loop, separate from the {@link Strategy}: selects clients, sends them the global
 * model, folds their updates through the strategy, evaluates, records history and decides when to stop.
 * The same loop serves in-process simulation and networked servers; only the {@link ClientPool} differs.
 *
 * <p>Per round r: wait for {@code minAvailableClients}; select {@code max(minFitClients,
 * floor(C * available))} clients uniformly without replacement (seeded by (seed, r)); ask each to train;
 * validate and fold each update ({@link UpdateValidator}: wrong shapes or NaN are rejected, recorded as
 * failures and never aggregated); clients that fail or miss the round deadline are recorded as
 * {@link ClientFailure}s; if fewer than {@code minSuccessfulClients} updates were accepted the global
 * model is kept; then federated and server-side evaluation; then stop conditions.
 *
 * <p>Nothing non-finite is committed: if the aggregate model or the strategy's state after the round
 * ({@link Strategy#saveState()}: SCAFFOLD's control variate, the FedOpt moments) holds NaN or an
 * infinity, the previous global model is kept, the strategy is given back its state from before the
 * round ({@link Strategy#restoreState}), and the round is recorded as failed ({@code round_failed = 1})
 * with {@link RoundRecord#failureReason()} saying what was not finite. Later rounds go on as usual.
 *
 * <p>Not thread-safe: one {@link #run} at a time.
 */
public final class RoundLoop {
  private static final long SELECT_STREAM = 0x5E1EC7L;
  private static final long SEED_STREAM = 0x5EED5L;
  private static final long EVAL_STREAM = 0xE7A1L;
  private static final long RETRY_STREAM = 0x2E7241L;

  private final Strategy strategy;
  private final ClientPool pool;
  private final RoundLoopConfig config;
  private final RoundListener listener;
  private final RoundClock clock;

  public RoundLoop(Strategy strategy, ClientPool pool, RoundLoopConfig config, RoundListener listener) {
    this(strategy, pool, config, listener, RoundClock.SYSTEM);
  }

  /** A loop whose round, evaluation and availability deadlines read {@code clock}. */
  public RoundLoop(Strategy strategy, ClientPool pool, RoundLoopConfig config, RoundListener listener,
      RoundClock clock) {
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.pool = Objects.requireNonNull(pool, "pool");
    this.config = Objects.requireNonNull(config, "config");
    this.listener = Objects.requireNonNull(listener, "listener");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  /**
   * Waits for a round's (or an evaluation's) futures until a deadline on the {@link RoundClock}: the
   * futures' completions arrive in {@code done} by index, and {@link #DEADLINE} once the clock passes the
   * deadline. Used by one thread.
   */
  private static final class Waiter implements AutoCloseable {
    static final int DEADLINE = -1;
    private final LinkedBlockingQueue<Integer> done = new LinkedBlockingQueue<>();
    private final CompletableFuture<Void> timer;
    private boolean passed;

    Waiter(RoundClock clock, long deadline, List<? extends CompletableFuture<?>> futures) {
      for (int i = 0; i < futures.size(); i++) {
        int idx = i;
        futures.get(i).whenComplete((o, e) -> done.add(idx));
      }
      timer = clock.at(deadline);
      timer.thenRun(() -> done.add(DEADLINE));
    }

    /** The index of the next future to complete, or null once the deadline has passed. */
    Integer next() throws InterruptedException {
      if (passed) {
        return null;
      }
      Integer idx = done.take();
      if (idx == DEADLINE) {
        passed = true;
        return null;
      }
      return idx;
    }

    /** Waits until {@code f} is done or the deadline passes; whether {@code f} is done. */
    boolean awaitDone(CompletableFuture<?> f) throws InterruptedException {
      while (!f.isDone()) {
        if (next() == null) {
          return f.isDone();
        }
      }
      return true;
    }

    @Override
    public void close() {
      timer.cancel(false);
    }
  }

  /** The final global model and the history of a run. */
  public record Result(ParameterSet global, History history) {}

  /** Runs rounds 1.. until the budget or a stop condition, starting from {@code initial}. */
  public Result run(ParameterSet initial) {
    return run(initial, null);
  }

  /**
   * Resumes a run from a checkpoint: the strategy is prepared and initialised from {@code initial} as
   * usual, then given back its saved state, and rounds continue at {@code from.round() + 1} from the
   * saved global model with the saved history. {@code from} null starts at round 1.
   */
  public Result run(ParameterSet initial, RunState from) {
    RandomSource root = RandomSource.seeded(config.seed());
    int known = Math.max(pool.available().size(), config.minAvailableClients());
    // every round selects at least this many: refuse an order that could never fold them before round 1
    checkFoldOrder(config.fewestClientsPerRound(), 1);
    strategy.prepare(new RoundPlan(clientsPerRound(known), known));
    ParameterSet global = strategy.initialize(initial);
    History history = new History();
    int first = 1;
    if (from != null) {
      strategy.restoreState(from.strategyState());
      global = from.global();
      from.history().forEach(history::add);
      first = from.round() + 1;
    }
    for (int round = first; round <= config.rounds(); round++) {
      long start = System.nanoTime();
      RoundState st = trainRound(round, global, root);
      for (int retry = 1; st.succeeded < config.minSuccessfulClients() && retry <= config.roundRetries(); retry++) {
        RoundState again = trainRound(round, global, root.derive(RETRY_STREAM, retry));
        again.failures.addAll(0, st.failures); // keep every attempt's failures on the record
        again.bytesUp += st.bytesUp;
        again.bytesDown += st.bytesDown;
        again.attempts = st.attempts + 1;
        st = again;
      }
      if (st.attempts > 1) {
        st.metrics = st.metrics.with(Metrics.of("round_attempts", st.attempts));
      }
      global = st.global;
      Metrics metrics = st.metrics;
      if (config.fractionEvaluate() > 0) {
        metrics = metrics.with(federatedEvaluate(round, global, root));
      }
      Optional<Metrics> server = strategy.evaluate(round, global);
      if (server.isPresent()) {
        metrics = metrics.with(server.get());
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      RoundRecord rec = new RoundRecord(round, metrics, st.selected, st.succeeded, st.failures, st.bytesUp,
          st.bytesDown, seconds, st.verdicts, st.failureReason);
      history.add(rec);
      listener.onRoundEnd(rec);
      listener.onRoundCommitted(round, global, history);
      Optional<String> stop = checkStop(history);
      if (stop.isPresent()) {
        history.stopReason(stop.get());
        return new Result(global, history);
      }
    }
    history.stopReason("round budget of " + config.rounds() + " reached");
    return new Result(global, history);
  }

  private Optional<String> checkStop(History history) {
    for (StopCondition c : config.stopConditions()) {
      Optional<String> s = c.check(history.rounds());
      if (s.isPresent()) {
        return s;
      }
    }
    return Optional.empty();
  }

  private static final class RoundState {
    int round;
    ParameterSet global;
    Metrics metrics = Metrics.empty();
    int selected;
    int succeeded;
    List<ClientFailure> failures = new ArrayList<>();
    long bytesUp;
    long bytesDown;
    List<ClientVerdict> verdicts = List.of();
    long[] sentAt;
    java.util.concurrent.atomic.AtomicLongArray repliedAt;
    int attempts = 1;
    String failureReason = "";
  }

  /**
   * Selection order folds a round's updates only once all have arrived, each holding one of the pool's
   * {@link ClientPool#maxHeldUpdates() held updates} meanwhile: with more clients than that, the first
   * one in selection order could wait for a slot that the others hold, until the round timeout.
   */
  private void checkFoldOrder(int clients, int round) {
    int slots = pool.maxHeldUpdates();
    if (config.foldOrder() == FoldOrder.SELECTION && clients > slots) {
      throw new IllegalArgumentException("fold order SELECTION needs one upload slot per client of a round, but round "
          + round + " selects " + clients + " clients and the server has " + slots + " upload slots"
          + " (maxConcurrentUploads); raise maxConcurrentUploads to at least " + clients + ", select fewer clients,"
          + " or fold in ARRIVAL order");
    }
  }

  private int clientsPerRound(int available) {
    return config.clientsPerRound(available);
  }

  private RoundState trainRound(int round, ParameterSet global, RandomSource root) {
    List<ClientProxy> available = awaitAvailable(round);
    int k = clientsPerRound(available.size());
    checkFoldOrder(k, round);
    List<ClientProxy> selected = sample(available, k, root.derive(round, SELECT_STREAM));
    listener.onRoundStart(round, selected.size());

    List<CompletableFuture<FitOutcome>> futures = new ArrayList<>(k);
    long[] sentAt = new long[k];
    java.util.concurrent.atomic.AtomicLongArray repliedAt = new java.util.concurrent.atomic.AtomicLongArray(k);
    for (int i = 0; i < k; i++) {
      ClientProxy c = selected.get(i);
      int idx = i;
      long seed = root.derive(round, SEED_STREAM, c.id().value().hashCode()).nextLong();
      TrainConfig cfg = strategy.configureTrain(round, c.id(), config.trainDefaults().withRound(round).withSeed(seed));
      CompletableFuture<FitOutcome> f;
      sentAt[i] = System.nanoTime();
      try {
        f = c.fit(global, cfg);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      f.whenComplete((o, e) -> {
        repliedAt.set(idx, System.nanoTime());
        listener.onClientDone(round, c.id(), e == null);
      });
      // keep the proxy's own future: cancelling it at the deadline must reach the client's task, not a copy
      futures.add(f);
    }

    RoundState st = new RoundState();
    st.round = round;
    st.sentAt = sentAt;
    st.repliedAt = repliedAt;
    st.selected = k;
    ParameterSet stateBefore = strategy.saveState(); // to roll back a non-finite round; empty for stateless strategies
    Aggregation agg = strategy.beginAggregation(round, global);
    long deadline = clock.nanos() + config.roundTimeout().toNanos();
    try (Waiter w = new Waiter(clock, deadline, futures)) {
      if (config.foldOrder() == FoldOrder.SELECTION) {
        for (int i = 0; i < k; i++) {
          collect(i, selected.get(i).id(), futures.get(i), w, global, agg, st);
        }
      } else {
        boolean[] seen = new boolean[k];
        for (int got = 0; got < k; got++) {
          Integer idx = null;
          try {
            idx = w.next();
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
          if (idx == null) {
            break;
          }
          seen[idx] = true;
          collect(idx, selected.get(idx).id(), futures.get(idx), w, global, agg, st);
          futures.set(idx, null); // release the folded update now: O(model size), not O(clients x model size)
        }
        for (int i = 0; i < k; i++) {
          if (!seen[i]) {
            collect(i, selected.get(i).id(), futures.get(i), w, global, agg, st);
          }
        }
      }
    }
    AggregateResult res = agg.finish(st.failures);
    st.verdicts = res.verdicts();
    String rejected = st.succeeded >= config.minSuccessfulClients()
        ? CommitGuard.rejectNonFinite(strategy, res.parameters(), stateBefore, "round") : null;
    if (st.succeeded >= config.minSuccessfulClients() && rejected == null) {
      st.global = res.parameters();
      st.metrics = res.metrics();
    } else {
      st.global = global;
      st.metrics = Metrics.builder().putAll(res.metrics()).put("round_failed", 1).build();
      st.failureReason = rejected != null ? rejected
          : st.succeeded + " of " + k + " updates accepted, fewer than min-successful-clients = "
              + config.minSuccessfulClients() + "; the previous global model is kept";
    }
    return st;
  }

  private void collect(int idx, ClientId id, CompletableFuture<FitOutcome> f, Waiter w, ParameterSet global,
      Aggregation agg, RoundState st) {
    FitOutcome o = null;
    boolean accepted = false;
    try {
      if (!w.awaitDone(f)) {
        throw new TimeoutException();
      }
      o = f.get();
      st.bytesDown += o.bytesDown();
      st.bytesUp += o.bytesUp();
      UpdateValidator.validate(global, id, o.result(), config.maxExamplesPerClient());
      listener.onUpdateAccepted(st.round, global, id, o.result());
      agg.accept(id, o.result());
      st.succeeded++;
      accepted = true;
    } catch (TimeoutException e) {
      f.cancel(true);
      st.failures.add(new ClientFailure(id, ErrorCode.DEADLINE_EXCEEDED,
          "no update within the round deadline of " + config.roundTimeout()));
    } catch (ExecutionException | CompletionException e) {
      st.failures.add(failureOf(id, e.getCause() == null ? e : e.getCause()));
    } catch (CancellationException e) {
      st.failures.add(new ClientFailure(id, ErrorCode.CANCELLED, "cancelled"));
    } catch (FlException e) {
      st.failures.add(failureOf(id, e));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlException(ErrorCode.CANCELLED, "round loop interrupted", e);
    }
    if (o != null) {
      // the completion callback may not have run yet when get() returns: then the reply is about now
      long replied = st.repliedAt.get(idx);
      double seconds = Double.isFinite(o.seconds()) && o.seconds() >= 0 ? o.seconds()
          : Math.max(0, ((replied != 0 ? replied : System.nanoTime()) - st.sentAt[idx]) / 1e9);
      listener.onClientStats(st.round, new ClientRoundStats(id, accepted, o.result().numExamples(),
          o.result().metrics().getOrNaN(Metrics.LOSS), seconds, o.bytesUp(), o.bytesDown()));
    }
  }

  private static ClientFailure failureOf(ClientId id, Throwable t) {
    if (t instanceof FlException fe) {
      return new ClientFailure(id, fe.code(), String.valueOf(fe.getMessage()));
    }
    return new ClientFailure(id, ErrorCode.UNKNOWN, t.getClass().getSimpleName() + ": " + t.getMessage());
  }

  private Metrics federatedEvaluate(int round, ParameterSet global, RandomSource root) {
    List<ClientProxy> available = sorted(pool);
    int k = Math.min(available.size(), Math.max(1, (int) Math.floor(config.fractionEvaluate() * available.size())));
    List<ClientProxy> selected = sample(available, k, root.derive(round, EVAL_STREAM));
    List<CompletableFuture<EvalResult>> futures = new ArrayList<>();
    for (ClientProxy c : selected) {
      futures.add(c.evaluate(global));
    }
    List<ClientReply<EvalResult>> replies = new ArrayList<>();
    List<ClientFailure> failures = new ArrayList<>();
    long deadline = clock.nanos() + config.roundTimeout().toNanos();
    try (Waiter w = new Waiter(clock, deadline, futures)) {
      for (int i = 0; i < k; i++) {
        ClientId id = selected.get(i).id();
        try {
          if (!w.awaitDone(futures.get(i))) {
            throw new TimeoutException();
          }
          replies.add(new ClientReply<>(id, futures.get(i).get()));
        } catch (TimeoutException e) {
          futures.get(i).cancel(true);
          failures.add(new ClientFailure(id, ErrorCode.DEADLINE_EXCEEDED, "no evaluation within the deadline"));
        } catch (ExecutionException e) {
          failures.add(failureOf(id, e.getCause()));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new FlException(ErrorCode.CANCELLED, "round loop interrupted", e);
        }
      }
    }
    return strategy.aggregateEvaluate(round, replies, failures).prefixed("eval_");
  }

  private List<ClientProxy> awaitAvailable(int round) {
    long deadline = clock.nanos() + config.availabilityTimeout().toNanos();
    while (true) {
      List<ClientProxy> available = sorted(pool);
      if (available.size() >= config.minAvailableClients()) {
        return available;
      }
      if (clock.nanos() - deadline >= 0) {
        throw new FlException(ErrorCode.QUORUM_NOT_MET, "round " + round + ": only " + available.size()
            + " clients available after " + config.availabilityTimeout() + ", need " + config.minAvailableClients());
      }
      try {
        Thread.sleep(50);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FlException(ErrorCode.CANCELLED, "interrupted while waiting for clients", e);
      }
    }
  }

  /** The pool's clients ordered by id; a pool that lists them in that order already is not re-sorted. */
  private static List<ClientProxy> sorted(ClientPool pool) {
    return pool.sortedById() ? pool.available() : sorted(pool.available());
  }

  private static List<ClientProxy> sorted(List<ClientProxy> clients) {
    List<ClientProxy> s = new ArrayList<>(clients);
    s.sort(Comparator.comparing(ClientProxy::id));
    return s;
  }

  /** Uniform sample of k without replacement, returned in selection order (partial Fisher-Yates). */
  private static List<ClientProxy> sample(List<ClientProxy> sortedClients, int k, RandomSource rng) {
    List<ClientProxy> a = new ArrayList<>(sortedClients);
    for (int i = 0; i < k; i++) {
      int j = i + rng.nextInt(a.size() - i);
      ClientProxy t = a.get(i);
      a.set(i, a.get(j));
      a.set(j, t);
    }
    return new ArrayList<>(a.subList(0, k));
  }
}
