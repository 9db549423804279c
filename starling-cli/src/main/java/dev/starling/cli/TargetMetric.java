package dev.starling.cli;

import dev.starling.core.learner.Task;
import dev.starling.core.metrics.Metrics;
import dev.starling.data.Dataset;
import dev.starling.server.StopCondition;

/**
 * {@code --target METRIC=VALUE}: stop once a round metric reaches a value, in the direction
 * {@link Metrics#higherIsBetter} gives the metric (so {@code test_rmse=500} stops at or below 500).
 */
record TargetMetric(String metric, double value) {
  /** Parses {@code METRIC=VALUE}; throws {@link IllegalArgumentException} (exit 2) naming the flag. */
  static TargetMetric parse(String spec) {
    int eq = spec.indexOf('=');
    if (eq <= 0) {
      throw new IllegalArgumentException("--target must be METRIC=VALUE, e.g. test_r2=0.6. Provided value: '" + spec + "'");
    }
    String metric = spec.substring(0, eq).strip();
    Metrics.higherIsBetter(metric); // validates the name
    double v;
    try {
      v = Double.parseDouble(spec.substring(eq + 1).strip());
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("--target value must be a number. Provided value: '" + spec + "'");
    }
    return new TargetMetric(metric, v);
  }

  StopCondition stopCondition() {
    return StopCondition.target(metric, value, Metrics.higherIsBetter(metric));
  }

  /** {@code 10 classes}, {@code regression of 'Amount'} or {@code next-token over 49 characters}. */
  static String describeOutputs(Dataset d) {
    return switch (d.task()) {
      case CLASSIFICATION -> d.numClasses() + " classes";
      case REGRESSION -> "regression of '" + d.classNames().get(0) + "'";
      case NEXT_TOKEN -> "next-token over " + d.numClasses() + " characters";
    };
  }

  /** Whether {@code task} reports accuracy. */
  static boolean hasAccuracy(Task task) {
    return task != Task.REGRESSION;
  }
}
