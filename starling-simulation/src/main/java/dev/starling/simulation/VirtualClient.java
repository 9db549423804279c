package dev.starling.simulation;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.submodel.SubModelCapable;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.learners.submodel.SubModelLearner;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.metrics.Metrics;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import dev.starling.simulation.clock.ClientClock;
import dev.starling.simulation.clock.ClientProfile;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;

/**
 * A simulated client: its local data and nothing else. A learner is created for each job and dropped
 * afterwards, so an idle virtual client costs only its data. Jobs run on the shared executor.
 *
 * <p>Drop-out injection: with probability {@code dropout}, drawn from (seed, round, client index), the
 * client fails a training job with {@link ErrorCode#UNAVAILABLE} instead of training. Byte counts are the
 * raw float32 payload of the model sent and received (no transport framing), or what a client-side
 * codec or sub-model reports as {@link Metrics#WIRE_BYTES_UP} / {@link Metrics#WIRE_BYTES_DOWN}. The learner of
 * a job is the run's {@link LearnerFactory}'s, on this client's data; with a {@link SubModelConfig} the client
 * trains a {@link SubModelLearner} of the model's {@link SubModelCapable} hook. Thread-safe.
 */
public final class VirtualClient implements ClientProxy {
  private static final long DROP_STREAM = 0xD209L;

  private final ClientId id;
  private final int index;
  private final Dataset data;
  private final LearnerFactory model;
  private final LearnerContext context;
  private final double dropout;
  private final RandomSource root;
  private final Executor executor;
  private final TrainingStats stats;
  private final SubModelConfig subModels;
  private volatile List<TrainInterceptor> chain = List.of();
  private volatile ClientState state;
  private volatile ClientProfile profile = ClientClock.defaults().profiles(1, 0)[0];
  private volatile dev.starling.simulation.clock.Availability availability =
      dev.starling.simulation.clock.Availability.ALWAYS;

  VirtualClient(int index, Dataset data, LearnerFactory model, double dropout, RandomSource root, Executor executor,
      TrainingStats stats, SubModelConfig subModels) {
    this.subModels = subModels;
    this.stats = stats;
    this.id = ClientId.ofIndex(index);
    this.index = index;
    this.data = data;
    this.model = model;
    this.context = LearnerContext.of(model.id(), data, root.seed());
    this.dropout = dropout;
    this.root = root;
    this.executor = executor;
  }

  @Override
  public ClientId id() {
    return id;
  }

  /** The client's local (already preprocessed) data. */
  public Dataset data() {
    return data;
  }

  /**
   * A training job's outcome with its duration on the virtual clock.
   *
   * @param outcome the reply and its bytes
   * @param samples examples processed (examples x epochs actually run)
   * @param seconds simulated duration: download, training and upload on this client's {@link ClientProfile}
   */
  public record TimedOutcome(FitOutcome outcome, long samples, double seconds) {}

  /** This client's hardware on the virtual clock. */
  public ClientProfile profile() {
    return profile;
  }

  void profile(ClientProfile p) {
    this.profile = java.util.Objects.requireNonNull(p, "profile");
  }

  /** When this client may be given a job on the virtual clock ({@code --client-trace}); always by default. */
  public dev.starling.simulation.clock.Availability availability() {
    return availability;
  }

  void availability(dev.starling.simulation.clock.Availability a) {
    this.availability = java.util.Objects.requireNonNull(a, "availability");
  }

  @Override
  public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
    return fitTimed(global, config).thenApply(TimedOutcome::outcome);
  }

  /** As {@link #fit}, with the job's simulated duration. */
  public CompletableFuture<TimedOutcome> fitTimed(ParameterSet global, TrainConfig config) {
    if (dropout > 0 && root.derive(config.round(), index, DROP_STREAM).nextDouble() < dropout) {
      return CompletableFuture.failedFuture(new FlException(ErrorCode.UNAVAILABLE,
          "simulated drop-out (p=" + dropout + ") in round " + config.round()));
    }
    return CompletableFuture.supplyAsync(() -> {
      long t0 = System.nanoTime();
      ClientState st = state();
      long[] samples = new long[1];
      TrainResult r = TrainInterceptor.run(chain, global, config, st, (g, c) -> {
        samples[0] += (long) data.size() * c.localEpochs();
        LocalLearner learner = subModels == null ? model.create(context, data)
            : SubModelCapable.learner(model, context, data, g, subModels, index, st);
        return learner.fit(g, c);
      });
      stats.record(samples[0], System.nanoTime() - t0);
      long down = (long) r.metrics().get(Metrics.WIRE_BYTES_DOWN).orElse(global.sizeBytes());
      long up = (long) r.metrics().get(Metrics.WIRE_BYTES_UP).orElse(r.parameters().sizeBytes());
      return new TimedOutcome(new FitOutcome(r, down, up), samples[0], profile.jobSeconds(samples[0], down, up));
    }, executor);
  }

  /** Sets the client-side interceptors (first = outermost) used from the next job on. */
  void intercept(List<TrainInterceptor> interceptors) {
    this.chain = List.copyOf(interceptors);
  }

  /** The client's persistent state, created on first use so idle clients stay small. */
  ClientState state() {
    ClientState s = state;
    if (s == null) {
      synchronized (this) {
        if (state == null) {
          state = new ClientState();
        }
        s = state;
      }
    }
    return s;
  }

  /** A copy of the client's persistent state for a checkpoint (empty if it holds none). */
  ParameterSet stateSnapshot() {
    ClientState s = state;
    return s == null ? ParameterSet.of() : s.snapshot();
  }

  /** Replaces the client's persistent state with a {@link #stateSnapshot()} from a checkpoint. */
  void restoreState(ParameterSet snapshot) {
    state().restore(snapshot);
  }

  /** The client's index in the simulation. */
  public int index() {
    return index;
  }

  @Override
  public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
    return CompletableFuture.supplyAsync(() -> model.create(context, data).evaluate(global), executor);
  }
}
