package dev.starling.vertical;

import dev.starling.core.random.RandomSource;
import java.util.ArrayList;
import java.util.List;

/** Small synthetic vertical data: labels from a logistic model over columns split between two parties. */
public final class Fixtures {
  private Fixtures() {}

  /** {@code rows x cols} standard-normal columns. */
  public static ColumnBlock gaussian(int rows, int cols, String prefix, RandomSource rng) {
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

  /** Labels drawn from {@code sigmoid(sum of a's columns - sum of b's columns / 2)}, needing both parties. */
  public static int[] labels(ColumnBlock a, ColumnBlock b, RandomSource rng) {
    int[] y = new int[a.rows()];
    for (int r = 0; r < y.length; r++) {
      double z = 0;
      for (int c = 0; c < a.cols(); c++) {
        z += a.get(r, c);
      }
      for (int c = 0; c < b.cols(); c++) {
        z -= 1.5 * b.get(r, c);
      }
      y[r] = rng.nextDouble() < 1 / (1 + Math.exp(-2 * z)) ? 1 : 0;
    }
    return y;
  }

  /** The two blocks side by side (the centralised view). */
  public static ColumnBlock concat(ColumnBlock a, ColumnBlock b) {
    float[] x = new float[a.rows() * (a.cols() + b.cols())];
    int w = a.cols() + b.cols();
    for (int r = 0; r < a.rows(); r++) {
      System.arraycopy(a.x(), r * a.cols(), x, r * w, a.cols());
      System.arraycopy(b.x(), r * b.cols(), x, r * w + a.cols(), b.cols());
    }
    List<String> names = new ArrayList<>(a.names());
    names.addAll(b.names());
    return new ColumnBlock(x, a.rows(), w, names);
  }
}
