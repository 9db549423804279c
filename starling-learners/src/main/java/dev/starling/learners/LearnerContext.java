package dev.starling.learners;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.Objects;

/**
 * What a {@link LearnerFactory} is told about the federation when it makes a learner: the model spec it was
 * chosen by, the data's dimensions and task, and the run's seed. The framework builds it from the data the learner
 * gets ({@link #of}), so {@code numFeatures}, {@code numOutputs} and {@code task} always agree with that
 * {@link Dataset}.
 *
 * @param spec the model spec as given, e.g. {@code mlp:32} or {@code my-net:3}
 * @param numFeatures input width
 * @param numOutputs model outputs: the number of classes (classification, next-token), 1 for regression
 * @param task what the model predicts
 * @param seed the run's seed; {@link #initRandom()} is the stream the initial parameters are drawn from
 */
public record LearnerContext(String spec, int numFeatures, int numOutputs, Task task, long seed) {
  /** Key of the initialisation stream under the run's seed (the same in simulation and on a networked server). */
  public static final long INIT_STREAM = 0x1417L;

  public LearnerContext {
    Objects.requireNonNull(spec, "spec");
    Checks.checkPositive(numFeatures, "numFeatures");
    Checks.checkPositive(numOutputs, "numOutputs");
    Objects.requireNonNull(task, "task");
  }

  /** The context of a learner for {@code spec} on {@code data} in a run seeded with {@code seed}. */
  public static LearnerContext of(String spec, Dataset data, long seed) {
    return new LearnerContext(spec, data.numFeatures(), data.numClasses(), data.task(), seed);
  }

  /**
   * A fresh stream for drawing the initial parameters: {@code RandomSource.seeded(seed).derive(INIT_STREAM)}. A
   * learner that draws its initial parameters from it in a fixed order gives every party, and the server, the same
   * initial model for a seed.
   */
  public RandomSource initRandom() {
    return RandomSource.seeded(seed).derive(INIT_STREAM);
  }
}
