package dev.starling.core.learner;

import dev.starling.core.error.Checks;
import dev.starling.core.metrics.Metrics;
import java.util.Objects;

/**
 * Evaluation of a model on one party's data.
 *
 * @param numExamples examples evaluated
 * @param metrics at least {@link Metrics#LOSS}; then as the {@link Task} says: {@link Metrics#ACCURACY} (and
 *     {@link Metrics#AUC} for binary tasks) for classification, {@link Metrics#RMSE}, {@link Metrics#MAE} and
 *     {@link Metrics#R2} for regression, {@link Metrics#PERPLEXITY} and {@link Metrics#ACCURACY} for next-token
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
