package dev.starling.testkit;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;

/**
 * A learner whose "training" moves every parameter to {@code target} by a fixed fraction per epoch,
 * reporting {@code numExamples} examples and loss = mean squared distance to the target. Evaluation
 * reports that loss and accuracy = 1 / (1 + loss). Deterministic; not thread-safe.
 */
public final class FakeLearner implements LocalLearner {
  private final float target;
  private final long numExamples;
  private ParameterSet current;

  public FakeLearner(ParameterSet initial, float target, long numExamples) {
    this.current = initial;
    this.target = target;
    this.numExamples = numExamples;
  }

  @Override
  public ParameterSet parameters() {
    return current;
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config) {
    ParameterSet p = global.copy();
    for (int e = 0; e < config.localEpochs(); e++) {
      p.forEach(t -> {
        float[] d = t.data();
        for (int i = 0; i < d.length; i++) {
          d[i] += (float) (config.learningRate() * (target - d[i]));
        }
      });
    }
    current = p;
    return new TrainResult(p, numExamples, config.localEpochs(), Metrics.of(Metrics.LOSS, loss(p)));
  }

  @Override
  public EvalResult evaluate(ParameterSet global) {
    double l = loss(global);
    return new EvalResult(numExamples, Metrics.builder().put(Metrics.LOSS, l).put(Metrics.ACCURACY, 1 / (1 + l)).build());
  }

  private double loss(ParameterSet p) {
    double s = 0;
    for (var t : p) {
      for (float v : t.data()) {
        s += (v - target) * (double) (v - target);
      }
    }
    return p.size() == 0 ? 0 : s / p.size();
  }
}
