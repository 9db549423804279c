package dev.starling.strategy.kernel;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Coordinate-wise order statistics of n rows: the median and the trimmed mean, with, for every row, the
 * number of coordinates where its value was among those kept. Order is by value with -0.0 below +0.0,
 * ties broken by row index (the order a stable sort of the column would give).
 *
 * <p>The fast kernel sorts all coordinates of a block at once with a sorting network: each comparator
 * is a min/max of two scratch rows over the block, a loop with one offset that C2 vectorises. Floats are
 * mapped to order-preserving ints first, so min/max are single integer instructions and -0.0 sorts below
 * +0.0 exactly as in the reference. Comparators that cannot reach the kept positions are pruned (a median
 * needs fewer than a full sort). Blocks are cut into fixed chunks run on {@link Parallel}'s threads; each
 * output coordinate is computed by one thread in a fixed order, so results are exact and deterministic:
 * equal, bit for bit, to {@link #reference}, which sorts each column with {@link Arrays#sort}.
 * Stateless.
 */
public final class OrderStatistics {
  /** Coordinates per parallel chunk. */
  static final int GRAIN = 1 << 14;
  /** Ints held by one block's sort scratch: 64 Ki = 256 KiB (and as much again unsorted), within L2. */
  private static final int BLOCK_VALUES = 1 << 16;

  private OrderStatistics() {}

  /**
   * The coordinate-wise median of {@code rows} (mean of the two middle values for even n, in double),
   * counting in {@code kept[i]} the coordinates where row i gave a middle value.
   */
  public static float[] median(Rows rows, int[] kept) {
    int n = rows.count();
    return run(rows, (n - 1) / 2, n / 2, true, kept);
  }

  /**
   * Per coordinate, the mean (summed in double in ascending order) of the values left after dropping the
   * {@code trim} smallest and {@code trim} largest ({@code 2 * trim < n}), counting in {@code kept[i]}
   * the coordinates where row i's value was kept.
   */
  public static float[] trimmedMean(Rows rows, int trim, int[] kept) {
    int n = rows.count();
    if (trim < 0 || 2 * trim >= n) {
      throw new IllegalArgumentException("trim must be in [0, n/2) for n = " + n + ". Provided value: " + trim);
    }
    return run(rows, trim, n - 1 - trim, false, kept);
  }

  /** Kept sorted positions [p, q]; median averages p and q, otherwise mean of p..q. */
  private static float[] run(Rows rows, int p, int q, boolean median, int[] kept) {
    int n = rows.count();
    int d = rows.length();
    float[] out = new float[d];
    int[] comparators = network(n, p, q);
    int block = Math.max(16, Math.min(1024, (BLOCK_VALUES / n) & ~15));
    int chunks = Parallel.chunks(d, GRAIN);
    int[][] keptPerChunk = new int[chunks][n];
    Parallel.forEachChunk(d, GRAIN, (c, from, to) -> {
      Block b = new Block(n, block);
      for (int f = from; f < to; f += block) {
        b.run(rows, f, Math.min(block, to - f), comparators, p, q, median, out, keptPerChunk[c]);
      }
    });
    for (int[] k : keptPerChunk) {
      for (int i = 0; i < n; i++) {
        kept[i] += k[i];
      }
    }
    return out;
  }

  /** Scratch and work of one block of coordinates. */
  private static final class Block {
    private final int n;
    /** s[r]: wire r of the sorting network over the block's coordinates (order-preserving int keys). */
    private final int[][] s;
    /** o[i]: row i's keys in the block, unsorted. */
    private final int[][] o;
    private final float[] tmp;
    private final double[] acc;

    Block(int n, int block) {
      this.n = n;
      this.s = new int[n][block];
      this.o = new int[n][block];
      this.tmp = new float[block];
      this.acc = new double[block];
    }

    void run(Rows rows, int from, int len, int[] comparators, int p, int q, boolean median, float[] out, int[] kept) {
      int off = rows.offsetIn(from);
      for (int i = 0; i < n; i++) {
        float[] src = rows.arrayHolding(i, from, len);
        if (src == null) {
          rows.copy(i, from, tmp, 0, len);
          toKeys(tmp, 0, o[i], s[i], len);
        } else {
          toKeys(src, off, o[i], s[i], len);
        }
      }
      for (int c = 0; c < comparators.length; c += 2) {
        minMax(s[comparators[c]], s[comparators[c + 1]], len);
      }
      if (median) {
        int[] a = s[p];
        int[] b = s[q];
        for (int k = 0; k < len; k++) {
          out[from + k] = (float) (((double) value(a[k]) + value(b[k])) / 2);
        }
      } else {
        Arrays.fill(acc, 0, len, 0.0);
        for (int r = p; r <= q; r++) {
          toValues(s[r], tmp, len);
          for (int k = 0; k < len; k++) {
            acc[k] += tmp[k];
          }
        }
        int count = q - p + 1;
        for (int k = 0; k < len; k++) {
          out[from + k] = (float) (acc[k] / count);
        }
      }
      countKept(p, q, len, kept);
    }

    /**
     * kept[i] += coordinates where row i's rank is in [p, q]. Counts, branch-free, the values outside
     * [L, U] (L, U = the values at p and q); that is exact unless a value equal to L also sits at p - 1
     * or one equal to U at q + 1 (a tie across the boundary; the network sorts those wires too), which
     * a scalar pass over the column fixes.
     */
    private void countKept(int p, int q, int len, int[] kept) {
      int[] lo = s[p];
      int[] hi = s[q];
      for (int i = 0; i < n; i++) {
        int[] row = o[i];
        int out = 0;
        for (int k = 0; k < len; k++) {
          int v = row[k];
          out += (int) ((((long) v - lo[k]) | ((long) hi[k] - v)) >>> 63);
        }
        kept[i] += len - out;
      }
      int[] below = p > 0 ? s[p - 1] : null;
      int[] above = q < n - 1 ? s[q + 1] : null;
      for (int k = 0; k < len; k++) {
        if ((below != null && below[k] == lo[k]) || (above != null && above[k] == hi[k])) {
          fixTies(k, p, q, kept);
        }
      }
    }

    /** Replaces column k's counts by the exact rank rule (ties by row index). */
    private void fixTies(int k, int p, int q, int[] kept) {
      int l = s[p][k];
      int u = s[q][k];
      int less = 0;
      int lessOrEqU = 0;
      int eqU = 0;
      for (int i = 0; i < n; i++) {
        int v = o[i][k];
        less += v < l ? 1 : 0;
        eqU += v == u ? 1 : 0;
        lessOrEqU += v <= u ? 1 : 0;
      }
      int firstU = lessOrEqU - eqU;
      int seenL = 0;
      int seenU = 0;
      for (int i = 0; i < n; i++) {
        int v = o[i][k];
        boolean fast = v >= l && v <= u;
        boolean exact;
        if (v == l) {
          int rank = less + seenL++;
          exact = rank >= p && rank <= q;
        } else if (v == u) {
          int rank = firstU + seenU++;
          exact = rank >= p && rank <= q;
        } else {
          exact = fast;
        }
        kept[i] += (exact ? 1 : 0) - (fast ? 1 : 0);
      }
    }
  }

  /** {@code a[k], b[k] = min, max} over the block. */
  private static void minMax(int[] a, int[] b, int len) {
    for (int k = 0; k < len; k++) {
      int x = a[k];
      int y = b[k];
      a[k] = Math.min(x, y);
      b[k] = Math.max(x, y);
    }
  }

  /**
   * Order-preserving int keys of {@code x[off..off+len)} (not NaN), written to both arrays: -0.0 maps
   * below +0.0. Reads the update in place; float[] and int[] cannot alias, so C2 vectorises the loop.
   */
  private static void toKeys(float[] x, int off, int[] keys, int[] copy, int len) {
    for (int k = 0; k < len; k++) {
      int bits = Float.floatToRawIntBits(x[off + k]);
      int key = bits ^ ((bits >> 31) & 0x7fffffff);
      keys[k] = key;
      copy[k] = key;
    }
  }

  /** The floats whose keys are {@code keys}. */
  private static void toValues(int[] keys, float[] x, int len) {
    for (int k = 0; k < len; k++) {
      x[k] = value(keys[k]);
    }
  }

  /** The float whose key is {@code key}. */
  static float value(int key) {
    return Float.intBitsToFloat(key ^ ((key >> 31) & 0x7fffffff));
  }

  /**
   * Batcher's odd-even merge sort network for n wires (built for the next power of two; comparators
   * touching a wire >= n are dropped, which is valid because those wires would hold +infinity), pruned
   * to the comparators that can affect wires p-1..q+1 (the kept positions and their neighbours, which
   * reveal ties across the boundary). Returned as pairs (low wire, high wire) in order.
   */
  static int[] network(int n, int p, int q) {
    int size = 1;
    while (size < n) {
      size <<= 1;
    }
    List<int[]> all = new ArrayList<>();
    for (int run = 1; run < size; run <<= 1) {
      for (int k = run; k >= 1; k >>= 1) {
        for (int j = k % run; j + k < size; j += 2 * k) {
          for (int i = 0; i < Math.min(k, size - j - k); i++) {
            if ((i + j) / (2 * run) == (i + j + k) / (2 * run) && i + j + k < n) {
              all.add(new int[] {i + j, i + j + k});
            }
          }
        }
      }
    }
    boolean[] needed = new boolean[n];
    for (int w = Math.max(0, p - 1); w <= Math.min(n - 1, q + 1); w++) {
      needed[w] = true;
    }
    boolean[] keep = new boolean[all.size()];
    int kept = 0;
    for (int c = all.size() - 1; c >= 0; c--) {
      int[] cmp = all.get(c);
      if (needed[cmp[0]] || needed[cmp[1]]) {
        keep[c] = true;
        needed[cmp[0]] = true;
        needed[cmp[1]] = true;
        kept++;
      }
    }
    int[] out = new int[2 * kept];
    int o = 0;
    for (int c = 0; c < all.size(); c++) {
      if (keep[c]) {
        out[o++] = all.get(c)[0];
        out[o++] = all.get(c)[1];
      }
    }
    return out;
  }

  /**
   * The readable reference for both rules: every column is copied, sorted by (value, row) with
   * {@link Arrays#sort} and read at sorted positions [p, q]; {@code median} averages the values at p and
   * q in double, otherwise the values at p..q are summed in double in ascending order and divided by
   * their count.
   */
  public static float[] reference(float[][] rows, int p, int q, boolean median, int[] kept) {
    int n = rows.length;
    int d = n == 0 ? 0 : rows[0].length;
    float[] out = new float[d];
    long[] col = new long[n];
    for (int j = 0; j < d; j++) {
      for (int i = 0; i < n; i++) {
        int bits = Float.floatToRawIntBits(rows[i][j]);
        long key = bits ^ ((bits >> 31) & 0x7fffffff);
        col[i] = (key << 32) | i;
      }
      Arrays.sort(col);
      if (median) {
        out[j] = (float) (((double) value((int) (col[p] >> 32)) + value((int) (col[q] >> 32))) / 2);
      } else {
        double sum = 0;
        for (int r = p; r <= q; r++) {
          sum += value((int) (col[r] >> 32));
        }
        out[j] = (float) (sum / (q - p + 1));
      }
      for (int r = p; r <= q; r++) {
        kept[(int) col[r]]++;
      }
    }
    return out;
  }
}
