package dev.starling.privacy.secagg;

import dev.starling.core.random.RandomSource;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Who masks with whom. With {@code k = 0}, everyone with everyone (SecAgg, Bonawitz et al. 2017). With
 * {@code k > 0}, the clients are placed on a ring in an order drawn from the public seed and each is
 * joined to the k/2 nearest on either side (a Harary graph with random labels, as in SecAgg+, Bell,
 * Bonawitz, Gascon, Lepoint, Raykova, "Secure Single-Server Aggregation with (Poly)Logarithmic
 * Overhead", CCS 2020), so each client's work grows with k instead of n. The graph is a pure function of
 * (clients, k, seed): server and clients compute the same one.
 */
final class NeighbourGraph {
  private final int[] ids; // sorted
  private final int[] ring; // ids in ring order (null: complete graph)
  private final Map<Integer, Integer> position = new HashMap<>();
  private final int half;
  private final Map<Integer, Set<Integer>> cache = new HashMap<>();

  /**
   * Builds the public part of the graph: O(n) for the ring order; a client's neighbour set is computed
   * when first asked for (O(k log k)), so a client that asks only for its own does O(n + k log k) work, not
   * O(n k).
   */
  NeighbourGraph(Set<Integer> clients, int k, long seed) {
    ids = clients.stream().mapToInt(Integer::intValue).sorted().toArray();
    int n = ids.length;
    if (k <= 0 || k >= n - 1) {
      ring = null;
      half = 0;
      for (int i = 0; i < n; i++) {
        position.put(ids[i], i);
      }
      return;
    }
    int[] perm = RandomSource.seeded(seed).permutation(n);
    ring = new int[n];
    for (int i = 0; i < n; i++) {
      ring[i] = ids[perm[i]];
      position.put(ring[i], i);
    }
    half = Math.max(1, k / 2);
  }

  /** u's neighbours (unmodifiable, sorted); null if u is not in the graph. */
  Set<Integer> neighbours(int u) {
    Set<Integer> s = cache.get(u);
    if (s != null) {
      return s;
    }
    Integer i = position.get(u);
    if (i == null) {
      return null;
    }
    TreeSet<Integer> t = new TreeSet<>();
    if (ring == null) {
      for (int v : ids) {
        if (v != u) {
          t.add(v);
        }
      }
    } else {
      int n = ring.length;
      for (int d = 1; d <= half; d++) {
        t.add(ring[(i + d) % n]);
        t.add(ring[Math.floorMod(i - d, n)]);
      }
      t.remove(u);
    }
    s = Collections.unmodifiableSet(t);
    cache.put(u, s);
    return s;
  }

  /** The x-coordinates used for u's shares: one per neighbour, x = neighbour id + 1. */
  static int[] xs(Set<Integer> neighbours) {
    List<Integer> l = new ArrayList<>(neighbours);
    int[] x = new int[l.size()];
    for (int i = 0; i < x.length; i++) {
      x[i] = l.get(i) + 1;
    }
    Arrays.sort(x);
    return x;
  }
}
