package dev.starling.transport.grpc.client;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;

/** What a networked client does with a task: local training and evaluation on its own data. */
public interface Trainer {
  TrainResult fit(ParameterSet global, TrainConfig config);

  EvalResult evaluate(ParameterSet global);

  /** Builds the trainer once the server has said which model and strategy the run uses. */
  @FunctionalInterface
  interface Factory {
    Trainer create(String model, String strategy);
  }
}
