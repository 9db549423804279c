package dev.starling.vertical.data;

import dev.starling.core.random.RandomSource;
import dev.starling.vertical.ColumnBlock;
import java.util.ArrayList;
import java.util.List;

/**
 * A synthetic vertical data set for smoke tests and demos without downloads: standard-normal columns split
 * between a label party ({@code labelCols}) and a feature party ({@code featureCols}), labels drawn from a
 * logistic model that needs both parties' columns (weights +1 on the label party's, -1.5 on the feature
 * party's, scale 2). Row {@code i} has id {@code row-i}.
 */
public final class SyntheticVertical {
  private SyntheticVertical() {}

  /** The data set. */
  public static VerticalDataset generate(int rows, int labelCols, int featureCols, RandomSource rng) {
    ColumnBlock a = gaussian(rows, labelCols, "a", rng.derive(1));
    ColumnBlock b = gaussian(rows, featureCols, "b", rng.derive(2));
    RandomSource ry = rng.derive(3);
    int[] y = new int[rows];
    List<String> ids = new ArrayList<>(rows);
    for (int r = 0; r < rows; r++) {
      double z = 0;
      for (int c = 0; c < labelCols; c++) {
        z += a.get(r, c);
      }
      for (int c = 0; c < featureCols; c++) {
        z -= 1.5 * b.get(r, c);
      }
      y[r] = ry.nextDouble() < 1 / (1 + Math.exp(-2 * z)) ? 1 : 0;
      ids.add("row-" + r);
    }
    return new VerticalDataset(ids, a, b, y);
  }

  private static ColumnBlock gaussian(int rows, int cols, String prefix, RandomSource rng) {
    float[] x = new float[rows * cols];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    List<String> names = new ArrayList<>();
    for (int c = 0; c < cols; c++) {
      names.add(prefix + c);
    }
    return new ColumnBlock(x, rows, cols, names);
  }
}
