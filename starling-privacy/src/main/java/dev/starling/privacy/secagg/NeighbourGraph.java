package dev.starling.privacy.secagg;

import dev.starling.core.random.RandomSource;
import java.util.ArrayList;
import java.util.Arrays;
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
  private final Map<Integer, Set<Integer>> adj = new HashMap<>();

  NeighbourGraph(Set<Integer> clients, int k, long seed) {
    int[] ids = clients.stream().mapToInt(Integer::intValue).sorted().toArray();
    int n = ids.length;
    if (k <= 0 || k >= n - 1) {
      for (int u : ids) {
        Set<Integer> s = new TreeSet<>();
        for (int v : ids) {
          if (v != u) {
            s.add(v);
          }
        }
        adj.put(u, s);
      }
      return;
    }
    int[] perm = RandomSource.seeded(seed).permutation(n);
    int[] ring = new int[n];
    for (int i = 0; i < n; i++) {
      ring[i] = ids[perm[i]];
    }
    int half = Math.max(1, k / 2);
    for (int i = 0; i < n; i++) {
      Set<Integer> s = new TreeSet<>();
      for (int d = 1; d <= half; d++) {
        s.add(ring[(i + d) % n]);
        s.add(ring[Math.floorMod(i - d, n)]);
      }
      s.remove(ring[i]);
      adj.put(ring[i], s);
    }
  }

  Set<Integer> neighbours(int u) {
    return adj.get(u);
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
