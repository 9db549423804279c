package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import java.util.Objects;

/** Train/test splits of a {@link Dataset}. Stateless; the randomness comes from the given source. */
public final class Splits {
  private Splits() {}

  /**
   * A stratified holdout: for each class {@code c} with {@code n_c} rows, {@code Math.round(testFraction * n_c)}
   * rows chosen uniformly at random go to the test set and the rest to the training set, so both keep the
   * class proportions. Rows of each part are then put in random order. The same dataset, fraction and seed
   * give the same split.
   *
   * @param testFraction in [0, 1)
   * @param rng consumed by this call; pass a seeded or derived source for a reproducible split
   */
  public static Split stratifiedHoldout(Dataset data, double testFraction, RandomSource rng) {
    Objects.requireNonNull(data, "data");
    Objects.requireNonNull(rng, "rng");
    Checks.checkArgument(testFraction >= 0 && testFraction < 1, "testFraction", "in [0, 1)", testFraction);
    int k = data.numClasses();
    int[] counts = data.classCounts();
    int[][] byClass = new int[k][];
    for (int c = 0; c < k; c++) {
      byClass[c] = new int[counts[c]];
    }
    int[] fill = new int[k];
    int[] labels = data.labels();
    for (int r = 0; r < labels.length; r++) {
      int c = labels[r];
      byClass[c][fill[c]++] = r;
    }
    int testSize = 0;
    int[] testPerClass = new int[k];
    for (int c = 0; c < k; c++) {
      testPerClass[c] = (int) Math.round(testFraction * counts[c]);
      testSize += testPerClass[c];
    }
    int[] test = new int[testSize];
    int[] train = new int[labels.length - testSize];
    int t = 0;
    int u = 0;
    for (int c = 0; c < k; c++) {
      int[] rows = byClass[c];
      rng.shuffle(rows);
      System.arraycopy(rows, 0, test, t, testPerClass[c]);
      System.arraycopy(rows, testPerClass[c], train, u, rows.length - testPerClass[c]);
      t += testPerClass[c];
      u += rows.length - testPerClass[c];
    }
    rng.shuffle(train);
    rng.shuffle(test);
    return new Split(data.subset(train), data.subset(test));
  }
}
