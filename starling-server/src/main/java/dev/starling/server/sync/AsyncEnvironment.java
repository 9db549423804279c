package dev.starling.server.sync;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import java.util.Objects;

/**
 * Where {@link AsyncDriver}'s clients train and what time it is: the simulation's event-driven virtual clock
 * (virtual clients, durations from their profiles) or the wall clock with connected clients
 * ({@link PoolEnvironment}). The driver holds every mode's logic; an environment only starts jobs, reports
 * their arrivals and ticks in time order, and keeps track of which clients are free. Used from the driver's
 * one thread.
 */
public interface AsyncEnvironment {
  /** Seconds since the run started on this environment's clock. */
  double now();

  /**
   * Continues the clock from {@code seconds} (a resumed run): {@link #now()} returns {@code seconds} before the
   * first event. The default does nothing (a wall clock restarts at zero).
   */
  default void resumeAt(double seconds) {}

  /** The metric under which every record carries {@link #now()} ({@code sim_seconds}, {@code clock_seconds}). */
  String clockMetric();

  /** Clients known now (for the clients per round). */
  int clients();

  /** Clients free to be given a job now. */
  int idle();

  /** Blocks until at least {@code min} clients are known, or throws (QUORUM_NOT_MET); virtual clients are all there. */
  default void awaitClients(int min) {}

  /** Marks a uniformly random free client (drawn with {@code rng}) busy and returns it; {@link #idle()} must be > 0. */
  ClientProxy takeIdle(RandomSource rng);

  /**
   * Starts {@code job}: asks its client to train from {@code global}. Its arrival (the job completed with
   * {@link Job#complete} or {@link Job#fail}, its client free again) is returned by {@link #next()} later.
   */
  void launch(Job job, ParameterSet global, TrainConfig config);

  /** Schedules a tick at {@code time} seconds, returned by {@link #next()} with {@code tag}. */
  void tickAt(double time, int tag);

  /**
   * The next event in time order: an arrival or a tick; {@link Event#idle()} when a while passed with
   * neither (the wall clock: clients may have joined); null when none can ever come.
   */
  Event next();

  /** Abandons the jobs still in flight (at the end of the run). */
  void cancelAll();

  /** One client's training job, from dispatch to arrival. */
  final class Job {
    private final ClientProxy client;
    private final int startVersion;
    private final double dispatched;
    private final int roundTag;
    private FitOutcome outcome;
    private Throwable error;

    public Job(ClientProxy client, int startVersion, double dispatched, int roundTag) {
      this.client = Objects.requireNonNull(client, "client");
      this.startVersion = startVersion;
      this.dispatched = dispatched;
      this.roundTag = roundTag;
    }

    public ClientProxy client() {
      return client;
    }

    /** The model version the client trains from. */
    public int startVersion() {
      return startVersion;
    }

    /** When it was dispatched, on the environment's clock. */
    public double dispatched() {
      return dispatched;
    }

    /** The round a round-based mode dispatched it in (0 for the continuous modes). */
    public int roundTag() {
      return roundTag;
    }

    /** The client's reply; null if it failed. */
    public FitOutcome outcome() {
      return outcome;
    }

    /** Why it failed; null if it succeeded. */
    public Throwable error() {
      return error;
    }

    public void complete(FitOutcome o) {
      this.outcome = Objects.requireNonNull(o, "o");
    }

    public void fail(Throwable t) {
      this.error = t == null ? new IllegalStateException("no result") : t;
    }
  }

  /** What happened next: {@code job} arrived, or a tick with {@code tag}, or nothing for a while. */
  record Event(Kind kind, Job job, int tag) {
    public enum Kind { ARRIVED, TICK, IDLE }

    public static Event arrived(Job job) {
      return new Event(Kind.ARRIVED, Objects.requireNonNull(job, "job"), 0);
    }

    public static Event tick(int tag) {
      return new Event(Kind.TICK, null, tag);
    }

    public static Event idle() {
      return new Event(Kind.IDLE, null, 0);
    }
  }
}
