package dev.starling.simulation;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.SgdLearner;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A pool of very many light virtual clients over one shared dataset, for simulations at the scale of
 * cross-device federated learning (a million registered clients, thousands per round). Client i's local
 * data are rows {@code [bounds[i], bounds[i+1])} of the shared set, which the caller has already arranged
 * (e.g. shuffled and preprocessed); a registered client is one small object holding its index, and
 * its row range, id, data copy and learner are made only when it is asked to work, then dropped.
 *
 * <p>Unlike {@link Simulation} this pool has no per-client preprocessing, drop-out, adversaries or
 * client state ({@link dev.starling.core.learner.TrainInterceptor}s are not run), and it trains the built-in
 * {@link ModelSpec} learners only (a {@link dev.starling.learners.LearnerFactory} of your own runs in
 * {@link Simulation}), so it suits
 * strategies that need none (FedAvg and its server-side variants, the robust rules). Jobs run on a fixed
 * pool of {@code threads} workers; with {@link dev.starling.server.FoldOrder#SELECTION} results are
 * reproducible bit for bit. Client ids are {@link ClientId#ofIndex}'s. Thread-safe; {@link #close} stops
 * the workers.
 */
public final class RangeClients implements ClientPool, AutoCloseable {
  private final Dataset shared;
  private final int[] bounds;
  private final ModelSpec spec;
  private final ExecutorService executor;
  private final TrainingStats stats = new TrainingStats();
  private final List<ClientProxy> clients;

  /**
   * {@code bounds.length - 1} clients; client i holds rows {@code [bounds[i], bounds[i+1])} of
   * {@code shared}. {@code bounds} must start at 0, never decrease and end at most at the row count.
   */
  public RangeClients(Dataset shared, int[] bounds, ModelSpec spec, int threads) {
    this.shared = Objects.requireNonNull(shared, "shared");
    this.spec = Objects.requireNonNull(spec, "spec");
    Checks.checkArgument(bounds.length >= 2, "bounds.length", ">= 2 (at least one client)", bounds.length);
    Checks.checkArgument(bounds[0] == 0, "bounds[0]", "0", bounds[0]);
    for (int i = 1; i < bounds.length; i++) {
      if (bounds[i] < bounds[i - 1] || bounds[i] > shared.size()) {
        throw new IllegalArgumentException("bounds[" + i + "] must be in [bounds[" + (i - 1) + "] = " + bounds[i - 1]
            + ", " + shared.size() + "]. Provided value: " + bounds[i]);
      }
    }
    this.bounds = bounds.clone();
    this.executor = Executors.newFixedThreadPool(Checks.checkPositive(threads, "threads"), daemonThreads());
    Client[] all = new Client[bounds.length - 1];
    for (int i = 0; i < all.length; i++) {
      all[i] = new Client(this, i);
    }
    this.clients = List.of(all);
  }

  /** {@code numClients} clients with (as nearly as possible) equal contiguous ranges of all rows. */
  public static RangeClients evenSplit(Dataset shared, int numClients, ModelSpec spec, int threads) {
    Checks.checkPositive(numClients, "numClients");
    int[] b = new int[numClients + 1];
    for (int i = 0; i <= numClients; i++) {
      b[i] = (int) ((long) shared.size() * i / numClients);
    }
    return new RangeClients(shared, b, spec, threads);
  }

  /** All registered clients, in index order (ids sort the same way). */
  @Override
  public List<ClientProxy> available() {
    return clients;
  }

  /**
   * True up to a million clients: their ids ("c" and six zero-padded digits) then sort like their
   * indices, in which order {@link #available()} lists them.
   */
  @Override
  public boolean sortedById() {
    return clients.size() <= 1_000_000;
  }

  /** Number of registered clients. */
  public int size() {
    return clients.size();
  }

  /** Client {@code i}'s local rows, as a new dataset. */
  public Dataset data(int i) {
    int from = bounds[i];
    int[] rows = new int[bounds[i + 1] - from];
    for (int r = 0; r < rows.length; r++) {
      rows[r] = from + r;
    }
    return shared.subset(rows);
  }

  /** Totals of local training work so far. */
  public TrainingStats trainingStats() {
    return stats;
  }

  @Override
  public void close() {
    executor.shutdownNow();
  }

  /** One registered client: 24 bytes with compressed references, its index and its pool. */
  private static final class Client implements ClientProxy {
    private final RangeClients pool;
    private final int index;

    Client(RangeClients pool, int index) {
      this.pool = pool;
      this.index = index;
    }

    @Override
    public ClientId id() {
      return new ClientId(idString(index));
    }

    @Override
    public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
      return CompletableFuture.supplyAsync(() -> {
        long t0 = System.nanoTime();
        Dataset local = pool.data(index);
        TrainResult r = new SgdLearner(pool.spec, local, global).fit(global, config);
        pool.stats.record((long) local.size() * config.localEpochs(), System.nanoTime() - t0);
        return new FitOutcome(r, global.sizeBytes(), r.parameters().sizeBytes());
      }, pool.executor);
    }

    @Override
    public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
      return CompletableFuture.supplyAsync(() -> new SgdLearner(pool.spec, pool.data(index), global).evaluate(global),
          pool.executor);
    }
  }

  /** {@code String.format("c%06d", index)} without the formatter's cost (ids are made per use). */
  static String idString(int index) {
    String digits = Integer.toString(index);
    int pad = Math.max(0, 6 - digits.length());
    StringBuilder sb = new StringBuilder(1 + pad + digits.length()).append('c');
    for (int i = 0; i < pad; i++) {
      sb.append('0');
    }
    return sb.append(digits).toString();
  }

  private static java.util.concurrent.ThreadFactory daemonThreads() {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, "starling-range-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }
}
