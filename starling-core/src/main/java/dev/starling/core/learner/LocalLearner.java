package dev.starling.core.learner;

import dev.starling.core.tensor.ParameterSet;

/**
 * The service-provider interface any ML engine implements to take part in federated training: it
 * owns one party's local data and trains or evaluates a model on it.
 *
 * <p>Order of use: {@link #parameters()} may be called at any time; {@link #fit} starts from the given
 * global parameters and never mutates them; {@link #evaluate} does not change local state.
 * Implementations need not be thread-safe; the framework never calls one instance concurrently.
 */
public interface LocalLearner {
  /** The learner's current local parameters (its initial ones before any fit). */
  ParameterSet parameters();

  /** Trains from {@code global} on the local data as {@code config} says. */
  TrainResult fit(ParameterSet global, TrainConfig config);

  /** Evaluates {@code global} on the local data; the metrics are the ones {@link #task()} names. */
  EvalResult evaluate(ParameterSet global);

  /** What this learner's model predicts, which decides its loss and metrics; classification unless overridden. */
  default Task task() {
    return Task.CLASSIFICATION;
  }
}
