package dev.starling.core.learner;

import dev.starling.core.error.Checks;
import dev.starling.core.metrics.Metrics;
import java.util.Objects;

/**
 * Evaluation of a model on one party's data.
 *
 * @param numExamples examples evaluated
 * @param metrics at least {@link Metrics#LOSS} and {@link Metrics#ACCURACY}; {@link Metrics#AUC} for binary tasks
 */
public record EvalResult(long numExamples, Metrics metrics) {
  public EvalResult {
    Objects.requireNonNull(metrics, "metrics");
    Checks.checkArgument(numExamples >= 0, "numExamples", ">= 0", numExamples);
  }

  public double loss() {
    return metrics.getOrNaN(Metrics.LOSS);
  }

  public double accuracy() {
    return metrics.getOrNaN(Metrics.ACCURACY);
  }
}
