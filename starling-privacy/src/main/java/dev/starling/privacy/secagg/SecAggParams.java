package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import java.util.Objects;

/**
 * Public parameters of one secure aggregation, known to server and clients.
 *
 * @param threshold t: shares needed to reconstruct a secret; the sum is recovered if every client's
 *     secrets have t surviving holders, i.e. up to (neighbours - t) of a client's neighbours may drop out
 * @param neighbours k: 0 for SecAgg's complete graph, else each client masks and shares with k others (SecAgg+)
 * @param graphSeed public seed of the neighbour graph
 * @param codec fixed-point encoding of the inputs
 * @param length the length of every input vector
 */
public record SecAggParams(int threshold, int neighbours, long graphSeed, FixedPoint codec, int length) {
  public SecAggParams {
    Checks.checkPositive(threshold, "threshold");
    Checks.checkNonNegative(neighbours, "neighbours");
    Objects.requireNonNull(codec, "codec");
    Checks.checkPositive(length, "length");
  }

  /**
   * Parameters for {@code n} clients that survive the drop-out of up to {@code d = floor(dropoutFraction n)}
   * of them (before or after masking), and no more: complete graph, threshold {@code t = n - 1 - d}. Each
   * client's secrets are shared among the {@code n - 1} others, so after d drop-outs a survivor's self-mask
   * seed still has {@code n - 1 - d = t} surviving holders; at {@code d + 1} drop-outs after masking,
   * unmasking fails with QUORUM_NOT_MET. t must also be more than {@code n / 2}, so that two disjoint groups
   * can never both reconstruct one client's secrets (clients check this on the wire), which allows at most
   * {@link #maxDropouts(int) maxDropouts(n)} drop-outs; a larger {@code d} is refused with
   * IllegalArgumentException rather than silently tolerating fewer than asked.
   */
  public static SecAggParams forClients(int n, double dropoutFraction, FixedPoint codec, int length) {
    checkClients(n, dropoutFraction);
    int tolerated = toleratedDropouts(n, dropoutFraction);
    if (tolerated > maxDropouts(n)) {
      throw new IllegalArgumentException("secure aggregation of " + n + " clients per round cannot tolerate " + tolerated
          + " drop-out(s) (DROPOUT " + dropoutFraction + " x " + n + "): the threshold would be " + (n - 1 - tolerated)
          + ", and it must be more than " + n + "/2, which leaves at most " + maxDropouts(n) + " drop-out(s); use a DROPOUT"
          + " below " + (maxDropouts(n) + 1) + "/" + n + " or more clients per round");
    }
    return new SecAggParams(n - 1 - tolerated, 0, 0, codec, length);
  }

  /**
   * The drop-outs among {@code n} clients that a drop-out fraction promises to survive:
   * {@code floor(dropoutFraction n)}. A count per round, not a rate: if clients drop out at random with
   * probability {@code dropoutFraction}, about half of the rounds see more.
   */
  public static int toleratedDropouts(int n, double dropoutFraction) {
    return (int) Math.floor(dropoutFraction * n);
  }

  /**
   * The most drop-outs any safe threshold (more than {@code n / 2}, at most {@code n - 1} holders) survives
   * among {@code n} clients on the complete graph: {@code n - 2 - floor(n / 2)}.
   */
  public static int maxDropouts(int n) {
    return n - 2 - n / 2;
  }

  /**
   * Parameters for one round of {@code n} clients of a run planned (and checked by
   * {@link #forClients(int, double, int, long, FixedPoint, int)}) for a possibly larger round: as that
   * method, except that when this round is too small to keep the tolerance with a safe threshold it
   * tolerates {@link #maxDropouts(int) maxDropouts(n)} drop-outs instead of being refused.
   */
  public static SecAggParams forRound(int n, double dropoutFraction, int neighbours, long graphSeed, FixedPoint codec,
      int length) {
    Checks.checkNonNegative(neighbours, "neighbours");
    if (neighbours == 0 || neighbours >= n - 1) {
      checkClients(n, dropoutFraction);
      int tolerated = Math.min(toleratedDropouts(n, dropoutFraction), maxDropouts(n));
      return new SecAggParams(n - 1 - tolerated, 0, 0, codec, length);
    }
    return forClients(n, dropoutFraction, neighbours, graphSeed, codec, length);
  }

  private static void checkClients(int n, double dropoutFraction) {
    Checks.checkArgument(n >= 3, "clients", ">= 3 for secure aggregation", n);
    Checks.checkArgument(dropoutFraction >= 0 && dropoutFraction < 0.5, "dropoutFraction", "in [0, 0.5)", dropoutFraction);
  }

  /**
   * As {@link #forClients(int, double, FixedPoint, int)}, on the sparse graph of SecAgg+ when
   * {@code neighbours} (k) is positive and below {@code n - 1}: each client masks with and shares its
   * secrets among k ring neighbours (a graph drawn from {@code graphSeed}, public), threshold
   * {@code max(k/2 + 1, k - floor(dropoutFraction k))} of them, so a client's work grows with k, not n.
   * The drop-out tolerance then holds for drop-outs spread over the graph (random ones, with high
   * probability for k around log n), not for every pattern: a pattern that leaves some client fewer
   * surviving neighbours than the threshold fails unmasking, it is never guessed. k must be even (the
   * ring joins k/2 clients on either side). {@code neighbours} 0, or k at least {@code n - 1}, is the
   * complete graph.
   */
  public static SecAggParams forClients(int n, double dropoutFraction, int neighbours, long graphSeed, FixedPoint codec,
      int length) {
    Checks.checkNonNegative(neighbours, "neighbours");
    if (neighbours == 0 || neighbours >= n - 1) {
      return forClients(n, dropoutFraction, codec, length);
    }
    checkNeighbours(neighbours);
    Checks.checkArgument(n >= 3, "clients", ">= 3 for secure aggregation", n);
    Checks.checkArgument(dropoutFraction >= 0 && dropoutFraction < 0.5, "dropoutFraction", "in [0, 0.5)", dropoutFraction);
    int t = Math.max(neighbours / 2 + 1, neighbours - (int) Math.floor(dropoutFraction * neighbours));
    return new SecAggParams(Math.min(t, neighbours), neighbours, graphSeed, codec, length);
  }

  /** Checks a SecAgg+ neighbour count: 0 (complete graph) or even and at least 2. */
  public static int checkNeighbours(int neighbours) {
    Checks.checkArgument(neighbours == 0 || (neighbours >= 2 && neighbours % 2 == 0), "SecAgg+ neighbours",
        "0 (complete graph) or an even number >= 2 (k/2 ring neighbours on either side)", neighbours);
    return neighbours;
  }
}
