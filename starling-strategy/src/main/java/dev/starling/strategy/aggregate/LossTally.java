package dev.starling.strategy.aggregate;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;

/**
 * The example-weighted mean of the clients' reported training loss, the {@code train_loss} every
 * aggregation reports: results without a loss (NaN) or without examples do not count. Not thread-safe.
 */
public final class LossTally {
  /** The round metric it reports. */
  public static final String TRAIN_LOSS = "train_loss";

  private double sum;
  private double weight;

  /** Counts {@code r}'s {@link Metrics#LOSS} with weight {@code r.numExamples()}. */
  public void add(TrainResult r) {
    double loss = r.metrics().getOrNaN(Metrics.LOSS);
    long n = r.numExamples();
    if (!Double.isNaN(loss) && n > 0) {
      sum += loss * n;
      weight += n;
    }
  }

  /** Whether no result with a loss was counted. */
  public boolean isEmpty() {
    return weight == 0;
  }

  /** The weighted mean, or NaN when {@link #isEmpty()}. */
  public double mean() {
    return weight > 0 ? sum / weight : Double.NaN;
  }

  /** Puts {@code train_loss} into {@code b} unless {@link #isEmpty()}; returns {@code b}. */
  public Metrics.Builder putInto(Metrics.Builder b) {
    if (weight > 0) {
      b.put(TRAIN_LOSS, sum / weight);
    }
    return b;
  }
}
