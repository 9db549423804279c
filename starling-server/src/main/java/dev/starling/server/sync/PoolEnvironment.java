package dev.starling.server.sync;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientId;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.PriorityQueue;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import java.util.function.LongSupplier;

/**
 * {@link AsyncDriver}'s environment for connected clients (a networked server's {@link ClientPool}) on a
 * clock of nanoseconds ({@link System#nanoTime} in production, a test's own otherwise): a client is free when
 * it is in the pool and has no job of this driver; jobs arrive when their futures complete, in completion order;
 * a job not back within {@code jobTimeout} is cancelled (the proxy abandons the task and tells the client) and
 * arrives as DEADLINE_EXCEEDED. Between events the driver is woken every {@code pollInterval} so that clients
 * that joined meanwhile get work.
 */
public final class PoolEnvironment implements AsyncEnvironment {
  private final ClientPool pool;
  private final Duration jobTimeout;
  private final Duration availabilityTimeout;
  private final LongSupplier nanos;
  private final long pollNanos;
  private final Consumer<ClientId> onArrival;
  private long start;
  private final Set<ClientId> busy = new HashSet<>();
  private final Map<AsyncEnvironment.Job, Flight> inFlight = new LinkedHashMap<>();
  private final LinkedBlockingQueue<AsyncEnvironment.Job> arrivals = new LinkedBlockingQueue<>();
  private final PriorityQueue<Tick> ticks = new PriorityQueue<>();
  private long tickSeq;

  /**
   * @param pool the connected clients
   * @param jobTimeout how long a client may take for one job (the round timeout)
   * @param availabilityTimeout how long to wait for the clients a round or the run needs
   * @param nanos the clock
   * @param pollInterval how often the driver looks for new clients when nothing happens
   * @param onArrival told each client whose job arrived, before the driver sees it (the server releases the
   *     update's upload slot: the driver now holds the update in its buffer)
   */
  public PoolEnvironment(ClientPool pool, Duration jobTimeout, Duration availabilityTimeout, LongSupplier nanos,
      Duration pollInterval, Consumer<ClientId> onArrival) {
    this.pool = Objects.requireNonNull(pool, "pool");
    this.jobTimeout = Objects.requireNonNull(jobTimeout, "jobTimeout");
    this.availabilityTimeout = Objects.requireNonNull(availabilityTimeout, "availabilityTimeout");
    this.nanos = Objects.requireNonNull(nanos, "nanos");
    this.pollNanos = Math.max(1, pollInterval.toNanos());
    this.onArrival = Objects.requireNonNull(onArrival, "onArrival");
    this.start = nanos.getAsLong();
  }

  private record Flight(CompletableFuture<FitOutcome> future, long deadline, boolean[] expired) {}

  private record Tick(long at, long seq, int tag) implements Comparable<Tick> {
    @Override
    public int compareTo(Tick o) {
      int c = Long.compare(at, o.at);
      return c != 0 ? c : Long.compare(seq, o.seq);
    }
  }

  @Override
  public double now() {
    return (nanos.getAsLong() - start) / 1e9;
  }

  @Override
  public void resumeAt(double seconds) {
    start = nanos.getAsLong() - (long) (seconds * 1e9); // clock_seconds continues from the checkpoint
  }

  @Override
  public String clockMetric() {
    return "clock_seconds";
  }

  @Override
  public int clients() {
    return pool.available().size();
  }

  private List<ClientProxy> free() {
    List<ClientProxy> free = new ArrayList<>();
    for (ClientProxy c : pool.available()) {
      if (!busy.contains(c.id())) {
        free.add(c);
      }
    }
    free.sort(Comparator.comparing(ClientProxy::id));
    return free;
  }

  @Override
  public int idle() {
    return free().size();
  }

  @Override
  public void awaitClients(int min) {
    long deadline = nanos.getAsLong() + availabilityTimeout.toNanos();
    while (pool.available().size() < min) {
      if (nanos.getAsLong() - deadline >= 0) {
        throw new FlException(ErrorCode.QUORUM_NOT_MET, "only " + pool.available().size() + " clients available after "
            + availabilityTimeout + ", need " + min);
      }
      try {
        Thread.sleep(Math.max(1, TimeUnit.NANOSECONDS.toMillis(pollNanos)));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FlException(ErrorCode.CANCELLED, "interrupted while waiting for clients", e);
      }
    }
  }

  @Override
  public ClientProxy takeIdle(RandomSource rng) {
    List<ClientProxy> free = free();
    if (free.isEmpty()) {
      throw new IllegalStateException("no free client");
    }
    ClientProxy c = free.get(rng.nextInt(free.size()));
    busy.add(c.id());
    return c;
  }

  @Override
  public void launch(AsyncEnvironment.Job job, ParameterSet global, TrainConfig config) {
    CompletableFuture<FitOutcome> f;
    try {
      f = job.client().fit(global, config);
    } catch (RuntimeException e) {
      f = CompletableFuture.failedFuture(e);
    }
    boolean[] expired = new boolean[1];
    inFlight.put(job, new Flight(f, nanos.getAsLong() + jobTimeout.toNanos(), expired));
    // keep the proxy's own future: cancelling it at the deadline must reach the client's task
    f.whenComplete((o, e) -> {
      if (e == null) {
        job.complete(o);
      } else {
        Throwable cause = e instanceof CompletionException && e.getCause() != null ? e.getCause() : e;
        synchronized (expired) {
          job.fail(expired[0] && cause instanceof CancellationException ? new FlException(ErrorCode.DEADLINE_EXCEEDED,
              "no update within the job deadline of " + jobTimeout) : cause);
        }
      }
      arrivals.add(job);
    });
  }

  @Override
  public void tickAt(double time, int tag) {
    ticks.add(new Tick(start + (long) (time * 1e9), tickSeq++, tag));
  }

  @Override
  public Event next() {
    long now = nanos.getAsLong();
    Tick t = ticks.peek();
    if (t != null && now - t.at >= 0) {
      ticks.poll();
      return Event.tick(t.tag);
    }
    long wait = pollNanos;
    if (t != null) {
      wait = Math.min(wait, t.at - now);
    }
    for (Flight fl : inFlight.values()) {
      long left = fl.deadline - now;
      if (left <= 0 && !fl.future.isDone()) {
        synchronized (fl.expired) {
          fl.expired[0] = true;
        }
        fl.future.cancel(true);
      } else {
        wait = Math.min(wait, Math.max(1, left));
      }
    }
    AsyncEnvironment.Job j;
    try {
      j = arrivals.poll(Math.max(0, wait), TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new FlException(ErrorCode.CANCELLED, "asynchronous server interrupted", e);
    }
    if (j == null) {
      return Event.idle();
    }
    inFlight.remove(j);
    busy.remove(j.client().id());
    if (j.outcome() != null) {
      onArrival.accept(j.client().id());
    }
    return Event.arrived(j);
  }

  @Override
  public void cancelAll() {
    for (Flight fl : inFlight.values()) {
      fl.future.cancel(true);
    }
    inFlight.clear();
  }
}
