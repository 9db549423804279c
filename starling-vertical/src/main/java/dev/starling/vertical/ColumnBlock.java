package dev.starling.vertical;

import dev.starling.core.error.Checks;
import java.util.List;
import java.util.Objects;

/**
 * One party's columns of the aligned rows: a dense row-major float32 matrix ({@code rows x cols}) with the
 * column names, after PSI has put every party's rows in the same order. Immutable by convention: the array is
 * not copied, so callers must not change it.
 *
 * @param x row-major values, {@code x[r * cols + c]}
 * @param rows number of rows
 * @param cols number of columns (0 allowed: a label party without features)
 * @param names column names, one per column
 */
public record ColumnBlock(float[] x, int rows, int cols, List<String> names) {
  public ColumnBlock {
    Objects.requireNonNull(x, "x");
    Checks.checkNonNegative(rows, "rows");
    Checks.checkNonNegative(cols, "cols");
    Checks.checkArgument(x.length == (long) rows * cols, "x.length", "rows * cols = " + (long) rows * cols, x.length);
    names = List.copyOf(names);
    Checks.checkArgument(names.size() == cols, "names.size()", "cols = " + cols, names.size());
  }

  /** The value at row {@code r}, column {@code c}. */
  public float get(int r, int c) {
    return x[r * cols + c];
  }

  /** The rows at {@code index}, in that order. */
  public ColumnBlock select(int[] index) {
    float[] out = new float[index.length * cols];
    for (int i = 0; i < index.length; i++) {
      System.arraycopy(x, index[i] * cols, out, i * cols, cols);
    }
    return new ColumnBlock(out, index.length, cols, names);
  }

  /** Columns {@code from..to} (exclusive) of every row. */
  public ColumnBlock columns(int from, int to) {
    Checks.checkArgument(from >= 0 && from <= to && to <= cols, "column range", "within [0, " + cols + "]", from + ".." + to);
    int w = to - from;
    float[] out = new float[rows * w];
    for (int r = 0; r < rows; r++) {
      System.arraycopy(x, r * cols + from, out, r * w, w);
    }
    return new ColumnBlock(out, rows, w, names.subList(from, to));
  }

  /** {@code a}'s columns then {@code b}'s, row by row (the centralised view of two parties' aligned rows). */
  public static ColumnBlock hstack(ColumnBlock a, ColumnBlock b) {
    Checks.checkArgument(a.rows() == b.rows(), "rows of the second block", "equal to the first's (" + a.rows() + ")", b.rows());
    int w = a.cols() + b.cols();
    float[] x = new float[a.rows() * w];
    for (int r = 0; r < a.rows(); r++) {
      System.arraycopy(a.x(), r * a.cols(), x, r * w, a.cols());
      System.arraycopy(b.x(), r * b.cols(), x, r * w + a.cols(), b.cols());
    }
    List<String> names = new java.util.ArrayList<>(a.names());
    names.addAll(b.names());
    return new ColumnBlock(x, a.rows(), w, names);
  }
}
