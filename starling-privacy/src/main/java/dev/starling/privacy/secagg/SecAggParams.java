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
   * Parameters for {@code n} clients that survive the drop-out of up to {@code floor(dropoutFraction n)}
   * of them (before or after masking): complete graph, threshold {@code n - 1 - floor(dropoutFraction n)}
   * (every survivor then still has that many surviving share holders), and more than {@code n / 2} so
   * that two disjoint groups can never both reconstruct a secret.
   */
  public static SecAggParams forClients(int n, double dropoutFraction, FixedPoint codec, int length) {
    Checks.checkArgument(n >= 3, "clients", ">= 3 for secure aggregation", n);
    Checks.checkArgument(dropoutFraction >= 0 && dropoutFraction < 0.5, "dropoutFraction", "in [0, 0.5)", dropoutFraction);
    int others = n - 1;
    int t = Math.max(Math.max(2, n / 2 + 1), others - (int) Math.floor(dropoutFraction * n));
    t = Math.min(t, others);
    return new SecAggParams(t, 0, 0, codec, length);
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
