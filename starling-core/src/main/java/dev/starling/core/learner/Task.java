package dev.starling.core.learner;

import java.util.Locale;
import java.util.Objects;

/**
 * What a model learns to predict, which decides its loss and the metrics a learner reports
 * ({@link dev.starling.core.metrics.Metrics}):
 * <ul>
 *   <li>{@link #CLASSIFICATION}: one of K classes; cross-entropy loss; {@code accuracy}, and {@code auc} for K = 2.
 *   <li>{@link #REGRESSION}: one real value; mean squared error loss; {@code rmse}, {@code mae}, {@code r2}.
 *   <li>{@link #NEXT_TOKEN}: the next token of a sequence given the previous ones (a classification over the
 *       vocabulary); cross-entropy loss; {@code perplexity} ({@code exp(loss)}) and top-1 {@code accuracy}.
 * </ul>
 */
public enum Task {
  CLASSIFICATION("classification"),
  REGRESSION("regression"),
  NEXT_TOKEN("next-token");

  private final String id;

  Task(String id) {
    this.id = id;
  }

  /** The name used on the command line and in model files: {@code classification}, {@code regression}, {@code next-token}. */
  public String id() {
    return id;
  }

  /** Whether the target is a class index (classification and next-token) rather than a real value. */
  public boolean isCategorical() {
    return this != REGRESSION;
  }

  /** Parses {@link #id()} (case-insensitive); throws {@link IllegalArgumentException} listing the choices. */
  public static Task parse(String s) {
    Objects.requireNonNull(s, "task");
    String t = s.strip().toLowerCase(Locale.ROOT);
    for (Task task : values()) {
      if (task.id.equals(t)) {
        return task;
      }
    }
    throw new IllegalArgumentException("task must be classification, regression or next-token. Provided value: '" + s + "'");
  }

  @Override
  public String toString() {
    return id;
  }
}
