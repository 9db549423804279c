package dev.starling.strategy.robust;

/**
 * Block sizes for rules that sort columns of client values in a scratch array (Bulyan's last phase):
 * a block of coordinates of all n clients is about an L2 cache. Stateless.
 */
final class Columns {
  /** Values held by one scratch block: 32 Ki values, about an L2 cache. */
  private static final int BLOCK_VALUES = 1 << 15;

  private Columns() {}

  /** Coordinates per block for {@code n} clients: at least 8, at most 4096. */
  static int blockSize(int n) {
    return Math.max(8, Math.min(4096, BLOCK_VALUES / Math.max(1, n)));
  }
}
