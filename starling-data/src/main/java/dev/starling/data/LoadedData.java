package dev.starling.data;

import java.util.Objects;

/**
 * A dataset resolved by {@link DatasetCatalog}: rows to train on, held-out rows to evaluate on, and a
 * one-line description of where both came from (for logs and run provenance).
 *
 * @param train the training rows (to be partitioned among clients)
 * @param test the test rows: the dataset's own test split, or a stratified holdout
 * @param description e.g. {@code digits (bundled): 1797 rows, 64 features, 10 classes; holdout 20% seed 42}
 */
public record LoadedData(Dataset train, Dataset test, String description) {
  public LoadedData {
    Objects.requireNonNull(train, "train");
    Objects.requireNonNull(test, "test");
    Objects.requireNonNull(description, "description");
    if (train.numFeatures() != test.numFeatures()) {
      throw new IllegalArgumentException("test.numFeatures() must be train.numFeatures() = "
          + train.numFeatures() + ". Provided value: " + test.numFeatures());
    }
  }
}
