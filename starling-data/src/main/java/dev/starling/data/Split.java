package dev.starling.data;

import java.util.Objects;

/**
 * A train/test pair drawn from one dataset with disjoint rows, e.g. by
 * {@link Splits#stratifiedHoldout(Dataset, double, dev.starling.core.random.RandomSource)}.
 *
 * @param train the rows to train on (and to partition among clients)
 * @param test the held-out rows the evaluator scores on
 */
public record Split(Dataset train, Dataset test) {
  public Split {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
  }
}
