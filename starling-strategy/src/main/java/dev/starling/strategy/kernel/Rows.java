package dev.starling.strategy.kernel;

import dev.starling.core.error.Checks;
import java.util.List;

/**
 * The n client updates of a round as rows of equal length, read without copying: each row may be made
 * of several arrays (one per tensor, all rows cut the same way), and kernels copy the slices they work on
 * into their own cache-sized scratch. The arrays are shared, not copied: by the {@code Tensor}
 * convention they are not mutated after being handed over. Immutable once built; thread-safe to read.
 */
public final class Rows {
  private final float[][][] parts;
  /** starts[t] = offset of part t in a row; starts[parts] = row length. */
  private final int[] starts;

  private Rows(float[][][] parts, int[] starts) {
    this.parts = parts;
    this.starts = starts;
  }

  /** Rows that are single arrays of equal length. */
  public static Rows of(float[][] rows) {
    float[][][] parts = new float[rows.length][][];
    for (int i = 0; i < rows.length; i++) {
      parts[i] = new float[][] {rows[i]};
    }
    int len = rows.length == 0 ? 0 : rows[0].length;
    return check(parts, new int[] {0, len});
  }

  /** Rows each made of the given parts; every row's part t has the same length. */
  public static Rows ofParts(List<float[][]> rows) {
    float[][][] parts = rows.toArray(float[][][]::new);
    int t = parts.length == 0 ? 0 : parts[0].length;
    int[] starts = new int[t + 1];
    for (int p = 0; p < t; p++) {
      long next = (long) starts[p] + parts[0][p].length;
      Checks.checkArgument(next <= Integer.MAX_VALUE - 8, "row length", "< 2^31 - 8", next);
      starts[p + 1] = (int) next;
    }
    return check(parts, starts);
  }

  private static Rows check(float[][][] parts, int[] starts) {
    for (int i = 0; i < parts.length; i++) {
      Checks.checkArgument(parts[i].length == starts.length - 1, "parts of row " + i, "" + (starts.length - 1), parts[i].length);
      for (int p = 0; p < parts[i].length; p++) {
        int want = starts[p + 1] - starts[p];
        Checks.checkArgument(parts[i][p].length == want, "length of part " + p + " of row " + i, "" + want, parts[i][p].length);
      }
    }
    return new Rows(parts, starts);
  }

  /** Number of rows (clients). */
  public int count() {
    return parts.length;
  }

  /** Values per row. */
  public int length() {
    return starts[starts.length - 1];
  }

  /** Copies {@code len} values of row {@code row} from position {@code from} into {@code dst[dstOff..]}. */
  public void copy(int row, int from, float[] dst, int dstOff, int len) {
    float[][] p = parts[row];
    int t = part(from);
    while (len > 0) {
      int off = from - starts[t];
      int n = Math.min(len, starts[t + 1] - from);
      System.arraycopy(p[t], off, dst, dstOff, n);
      from += n;
      dstOff += n;
      len -= n;
      t++;
    }
  }

  /**
   * The array that holds positions {@code [from, from + len)} of row {@code row}, if one part holds them
   * all (then they start at {@link #offsetIn}{@code (from)} in it), else null: lets a kernel read in place
   * instead of copying.
   */
  public float[] arrayHolding(int row, int from, int len) {
    int t = part(from);
    return from + len <= starts[t + 1] ? parts[row][t] : null;
  }

  /** The offset of position {@code from} in the part that holds it. */
  public int offsetIn(int from) {
    return from - starts[part(from)];
  }

  /** Row {@code row} as one new array. */
  public float[] flat(int row) {
    float[] out = new float[length()];
    copy(row, 0, out, 0, out.length);
    return out;
  }

  /** The part holding position {@code pos}. */
  private int part(int pos) {
    int t = 0;
    while (t + 1 < starts.length - 1 && starts[t + 1] <= pos) {
      t++;
    }
    return t;
  }
}
