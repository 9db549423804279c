package dev.starling.learners;

import dev.starling.core.learner.LocalLearner;
import dev.starling.data.Dataset;

/**
 * Makes the {@link LocalLearner}s of a run: bring your own model by implementing this (a lambda will do) and
 * {@link LocalLearner}. The simulation makes one learner per client job, a networked client one per task, and the
 * server one on its held-out set; the federation's initial model is the server's learner's
 * {@link LocalLearner#parameters()}, its per-round test metrics that learner's {@link LocalLearner#evaluate}. So
 * {@code parameters()} before any fit must be drawn from {@link LearnerContext#initRandom()} (or be fixed) for a
 * seeded run to reproduce.
 *
 * <p>Built-in: {@link ModelSpec} ({@code logreg}, {@code mlp:H1,...}). Others are named by a
 * {@link LearnerProvider} on the class path and found with {@link Learners#parse}. Implementations must be
 * thread-safe (the simulation calls {@link #create} from several workers); the learners they make need not be.
 */
@FunctionalInterface
public interface LearnerFactory {
  /**
   * A learner on {@code data} (a client's local rows, or the server's test set), which {@code ctx} describes.
   * Throws {@link IllegalArgumentException} or {@link dev.starling.core.error.FlException} if the model cannot
   * handle such data (e.g. a regression task for a classifier).
   */
  LocalLearner create(LearnerContext ctx, Dataset data);

  /**
   * The model spec this factory stands for, e.g. {@code my-net:3}: the {@link LearnerContext#spec()} of its
   * learners, the model a networked server names in its Welcome and in model files. Default: {@link Object#toString()}.
   */
  default String id() {
    return toString();
  }

  /**
   * This factory as an optional extension interface, e.g. {@code capability(SubModelCapable.class)}: itself if it
   * implements {@code type}, else empty. A factory that wraps another (a spec's name given to a provider's factory)
   * asks the wrapped one, so extensions survive the wrapping.
   */
  default <T> java.util.Optional<T> capability(Class<T> type) {
    return type.isInstance(this) ? java.util.Optional.of(type.cast(this)) : java.util.Optional.empty();
  }
}
