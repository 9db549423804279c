package dev.starling.cli;

import dev.starling.core.learner.Task;
import dev.starling.data.Dataset;

/** How a dataset's outputs and task read in the run's header and results table. */
final class TargetMetric {
  private TargetMetric() {}

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
