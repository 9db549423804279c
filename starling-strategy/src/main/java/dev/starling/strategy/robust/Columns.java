package dev.starling.strategy.robust;

import java.util.Arrays;

/**
 * Coordinate-blocked access to the clients' updates for the coordinate-wise rules: a block of
 * coordinates is copied, column by column, into a small scratch array and each column (the n values of
 * one coordinate) is sorted there, without boxing. Values are packed with their client index into
 * {@code long} keys that sort like the floats (ties by client index), so a rule can tell which client's
 * value it kept. Stateless.
 */
final class Columns {
  /** Values held by one scratch block: 32 Ki keys = 256 KiB, about an L2 cache. */
  private static final int BLOCK_VALUES = 1 << 15;

  private Columns() {}

  /** Coordinates per block for {@code n} clients: at least 8, at most 4096. */
  static int blockSize(int n) {
    return Math.max(8, Math.min(4096, BLOCK_VALUES / Math.max(1, n)));
  }

  /**
   * Fills {@code keys[(j - from) * n + i]} with the key of client i's value at coordinate j, for j in
   * [from, to), then sorts each column ascending. Reads every client's row sequentially.
   */
  static void sortBlock(float[][] updates, int from, int to, long[] keys) {
    int n = updates.length;
    int len = to - from;
    for (int i = 0; i < n; i++) {
      float[] row = updates[i];
      for (int j = 0; j < len; j++) {
        keys[j * n + i] = key(row[from + j], i);
      }
    }
    for (int j = 0; j < len; j++) {
      Arrays.sort(keys, j * n, (j + 1) * n);
    }
  }

  /** A key ordered by {@code value} (finite or infinite, not NaN), then by {@code client}. */
  static long key(float value, int client) {
    int bits = Float.floatToRawIntBits(value);
    int sortable = bits ^ ((bits >> 31) & 0x7fffffff);
    return ((long) sortable << 32) | client;
  }

  /** The value packed in {@code key}. */
  static float value(long key) {
    int sortable = (int) (key >> 32);
    return Float.intBitsToFloat(sortable ^ ((sortable >> 31) & 0x7fffffff));
  }

  /** The client index packed in {@code key}. */
  static int client(long key) {
    return (int) key;
  }
}
