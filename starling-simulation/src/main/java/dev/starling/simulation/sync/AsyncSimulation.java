package dev.starling.simulation.sync;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.AsyncState;
import dev.starling.server.ClientProxy;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RunState;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.server.sync.AsyncEnvironment;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.simulation.VirtualClient;
import dev.starling.simulation.clock.Availability;
import dev.starling.simulation.clock.ClientProfile;
import dev.starling.strategy.Strategy;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The asynchronous modes in simulation: the shared {@link AsyncDriver} (every mode's logic, the same as over
 * gRPC) on an event-driven virtual clock.
 *
 * <p>Simulated time advances by events in a priority queue (time, then sequence number), never by the wall
 * clock: a job dispatched at time t to a client arrives at {@code t + }{@link VirtualClient.TimedOutcome#seconds()}
 * (download, training on the client's {@link ClientProfile}, upload). Local training itself runs in parallel on
 * the simulation's workers; the clock waits for a job's real result only when it reaches the job's compute
 * time, and every job's result depends only on its seed, its start model and its client's state, so a run
 * reproduces bit for bit whatever the thread timing. A client that drops out is known to the server after a
 * round trip. Not thread-safe: one {@link #run} per instance.
 */
public final class AsyncSimulation {
  private final Strategy strategy;
  private final List<VirtualClient> clients;
  private final RoundLoopConfig config;
  private final SyncPolicy policy;
  private final AsyncDriver.Settings settings;
  private final RoundListener listener;

  public AsyncSimulation(Strategy strategy, List<VirtualClient> clients, RoundLoopConfig config, long seed,
      SyncPolicy policy, AsyncDriver.Settings settings, RoundListener listener) {
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.clients = List.copyOf(clients);
    this.config = Objects.requireNonNull(config, "config").withSeed(seed);
    this.policy = Objects.requireNonNull(policy, "policy");
    this.settings = Objects.requireNonNull(settings, "settings");
    this.listener = Objects.requireNonNull(listener, "listener");
    if (policy.synchronous()) {
      throw new IllegalArgumentException("sync runs on the round loop, not on " + getClass().getSimpleName());
    }
    if (this.clients.isEmpty()) {
      throw new IllegalArgumentException("no clients");
    }
  }

  /** Runs until the aggregation budget or a stop condition, starting from {@code initial}. */
  public RoundLoop.Result run(ParameterSet initial) {
    return run(initial, null, null);
  }

  /**
   * Runs with checkpoints: {@code checkpointer}, given the driver's {@link AsyncDriver#snapshot()}, returns the
   * listener that writes a checkpoint after every aggregation (null: none); {@code from} resumes from one (null:
   * starts from {@code initial}); see {@link AsyncDriver#run(ParameterSet, RunState)}. The virtual clock
   * continues from the checkpoint's simulated time.
   */
  public RoundLoop.Result run(ParameterSet initial,
      java.util.function.Function<java.util.function.Supplier<java.util.Optional<AsyncState>>, RoundListener> checkpointer,
      RunState from) {
    AsyncDriver[] driver = new AsyncDriver[1];
    RoundListener all = checkpointer == null ? listener
        : RoundListener.all(listener, checkpointer.apply(() -> driver[0].snapshot()));
    driver[0] = new AsyncDriver(strategy, new VirtualEnvironment(clients), config, policy, settings, all);
    return driver[0].run(initial, from);
  }

  /** Virtual clients on the event-driven virtual clock. */
  static final class VirtualEnvironment implements AsyncEnvironment {
    private static final int TRAINED = 0;
    private static final int ARRIVED = 1;
    private static final int TICK = 2;
    private static final int WAKE = 3;

    private final List<VirtualClient> clients;
    private final Map<ClientProxy, Integer> index = new IdentityHashMap<>();
    private final PriorityQueue<Ev> queue = new PriorityQueue<>();
    private double now;
    private long seq;
    private final boolean[] busy;
    private final int[] idle;
    private final int[] idlePos;
    private int idleCount;

    VirtualEnvironment(List<VirtualClient> clients) {
      this.clients = clients;
      int n = clients.size();
      busy = new boolean[n];
      idle = new int[n];
      idlePos = new int[n];
      for (int i = 0; i < n; i++) {
        idle[i] = i;
        idlePos[i] = i;
      }
      idleCount = n;
      windows = clients.stream().anyMatch(c -> c.availability() != Availability.ALWAYS);
    }

    private final boolean windows; // some client has availability windows (a trace): filter the idle ones by time
    private double wakeAt = Double.NEGATIVE_INFINITY;

    private boolean availableNow(int client) {
      return clients.get(client).availability().at(now);
    }

    @Override
    public double now() {
      return now;
    }

    @Override
    public void resumeAt(double seconds) {
      now = seconds;
    }

    @Override
    public String clockMetric() {
      return "sim_seconds";
    }

    @Override
    public int clients() {
      return clients.size();
    }

    @Override
    public int idle() {
      if (!windows) {
        return idleCount;
      }
      int k = 0;
      for (int i = 0; i < idleCount; i++) {
        k += availableNow(idle[i]) ? 1 : 0;
      }
      return k;
    }

    @Override
    public ClientProxy takeIdle(RandomSource rng) {
      int client;
      if (!windows) {
        client = idle[rng.nextInt(idleCount)];
      } else { // the r-th idle client that is inside one of its availability windows now
        int r = rng.nextInt(idle());
        int pick = -1;
        for (int i = 0; i < idleCount && pick < 0; i++) {
          if (availableNow(idle[i]) && r-- == 0) {
            pick = idle[i];
          }
        }
        client = pick;
      }
      int p = idlePos[client];
      int last = idle[--idleCount];
      idle[p] = last;
      idlePos[last] = p;
      idle[idleCount] = client;
      idlePos[client] = idleCount;
      busy[client] = true;
      VirtualClient vc = clients.get(client);
      index.put(vc, client);
      return vc;
    }

    private void putIdle(int client) {
      if (!busy[client]) {
        return;
      }
      busy[client] = false;
      int p = idlePos[client];
      int first = idle[idleCount];
      idle[p] = first;
      idlePos[first] = p;
      idle[idleCount] = client;
      idlePos[client] = idleCount;
      idleCount++;
    }

    @Override
    public void launch(Job job, ParameterSet global, TrainConfig cfg) {
      VirtualClient vc = (VirtualClient) job.client();
      CompletableFuture<VirtualClient.TimedOutcome> f;
      try {
        f = vc.fitTimed(global, cfg);
      } catch (RuntimeException e) {
        f = CompletableFuture.failedFuture(e);
      }
      double latency = vc.profile().latencySeconds();
      if (f.isCompletedExceptionally()) {
        // a drop-out: the server learns it after a round trip
        job.fail(f.handle((o, e) -> e instanceof CompletionException && e.getCause() != null ? e.getCause() : e).join());
        schedule(now + Math.max(2 * latency, ClientProfile.MIN_JOB_SECONDS), ARRIVED, job, null, 0);
      } else {
        long samples = (long) vc.data().size() * cfg.localEpochs();
        schedule(now + latency + vc.profile().computeSeconds(samples), TRAINED, job, f, 0);
      }
    }

    @Override
    public void tickAt(double time, int tag) {
      schedule(time, TICK, null, null, tag);
    }

    /**
     * With availability windows: schedules a wake-up at the earliest time an idle client that is unavailable now
     * comes back, so the driver can give it work then.
     */
    private void scheduleWake() {
      double wake = Double.POSITIVE_INFINITY;
      for (int i = 0; i < idleCount; i++) {
        VirtualClient c = clients.get(idle[i]);
        if (!c.availability().at(now)) {
          wake = Math.min(wake, c.availability().next(now));
        }
      }
      if (wake != Double.POSITIVE_INFINITY && (wakeAt <= now || wake < wakeAt)) {
        wakeAt = wake;
        schedule(wake, WAKE, null, null, 0);
      }
    }

    @Override
    public Event next() {
      if (windows) {
        scheduleWake();
      }
      while (true) {
        Ev ev = queue.poll();
        if (ev == null) {
          return null;
        }
        now = ev.time;
        switch (ev.kind) {
          case TRAINED -> trained(ev);
          case ARRIVED -> {
            putIdle(index.remove(ev.job.client()));
            return Event.arrived(ev.job);
          }
          case WAKE -> {
            return Event.idle(); // a client's availability window opened
          }
          default -> {
            return Event.tick(ev.tag);
          }
        }
      }
    }

    private void trained(Ev ev) {
      Job job = ev.job;
      VirtualClient.TimedOutcome outcome = null;
      try {
        outcome = ev.future.get();
        job.complete(outcome.outcome());
      } catch (ExecutionException | CompletionException e) {
        job.fail(e.getCause() == null ? e : e.getCause());
      } catch (CancellationException e) {
        job.fail(e);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FlException(ErrorCode.CANCELLED, "asynchronous simulation interrupted", e);
      }
      double at = outcome == null ? now : Math.max(now, job.dispatched() + outcome.seconds());
      schedule(at, ARRIVED, job, null, 0);
    }

    @Override
    public void cancelAll() {
      for (Ev ev : queue) {
        if (ev.future != null) {
          ev.future.cancel(true);
        }
      }
      queue.clear();
    }

    private void schedule(double time, int kind, Job job, CompletableFuture<VirtualClient.TimedOutcome> f, int tag) {
      queue.add(new Ev(time, seq++, kind, job, f, tag));
    }

    private record Ev(double time, long seq, int kind, Job job, CompletableFuture<VirtualClient.TimedOutcome> future,
        int tag) implements Comparable<Ev> {
      @Override
      public int compareTo(Ev o) {
        int c = Double.compare(time, o.time);
        return c != 0 ? c : Long.compare(seq, o.seq);
      }
    }
  }

  @Override
  public String toString() {
    return String.format(Locale.ROOT, "AsyncSimulation(%s, %d clients)", policy.describe(), clients.size());
  }
}
