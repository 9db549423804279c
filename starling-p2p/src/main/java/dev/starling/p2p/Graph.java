package dev.starling.p2p;

import java.util.ArrayDeque;
import java.util.Arrays;
import java.util.Objects;

/**
 * A communication graph over peers {@code 0..n-1}: each peer's out-neighbours (whom it sends to), sorted and without
 * the peer itself. An undirected graph lists every edge in both directions. Immutable.
 */
public final class Graph {
  private final int[][] out;
  private final boolean directed;

  private Graph(int[][] out, boolean directed) {
    this.out = out;
    this.directed = directed;
  }

  /**
   * A graph from out-neighbour lists (copied, sorted, duplicates removed); {@code directed} false requires every edge
   * in both directions.
   */
  public static Graph of(int[][] outNeighbours, boolean directed) {
    Objects.requireNonNull(outNeighbours, "outNeighbours");
    int n = outNeighbours.length;
    if (n < 1) {
      throw new IllegalArgumentException("a graph needs at least one peer");
    }
    int[][] o = new int[n][];
    for (int i = 0; i < n; i++) {
      int[] row = Arrays.stream(outNeighbours[i]).sorted().distinct().toArray();
      for (int j : row) {
        if (j < 0 || j >= n || j == i) {
          throw new IllegalArgumentException("peer " + i + " has an invalid neighbour " + j + " (peers 0.." + (n - 1)
              + ", no self-loops)");
        }
      }
      o[i] = row;
    }
    Graph g = new Graph(o, directed);
    if (!directed) {
      for (int i = 0; i < n; i++) {
        for (int j : o[i]) {
          if (!g.hasEdge(j, i)) {
            throw new IllegalArgumentException("undirected graph lists edge " + i + "->" + j + " but not " + j + "->" + i);
          }
        }
      }
    }
    return g;
  }

  /** Number of peers. */
  public int size() {
    return out.length;
  }

  public boolean directed() {
    return directed;
  }

  /** Peers that {@code i} sends to (a copy). */
  public int[] outNeighbours(int i) {
    return out[i].clone();
  }

  /** Out-degree of {@code i}. */
  public int degree(int i) {
    return out[i].length;
  }

  int[] outRef(int i) {
    return out[i];
  }

  /** Whether {@code i} sends to {@code j}. */
  public boolean hasEdge(int i, int j) {
    return Arrays.binarySearch(out[i], j) >= 0;
  }

  /** Number of directed edges (an undirected edge counts twice). */
  public long edges() {
    long e = 0;
    for (int[] r : out) {
      e += r.length;
    }
    return e;
  }

  /** Whether every peer reaches every other along out-edges (strongly connected). */
  public boolean connected() {
    return reachesAll(out) && (!directed || reachesAll(reversed()));
  }

  private int[][] reversed() {
    int n = out.length;
    int[] deg = new int[n];
    for (int[] r : out) {
      for (int j : r) {
        deg[j]++;
      }
    }
    int[][] in = new int[n][];
    for (int j = 0; j < n; j++) {
      in[j] = new int[deg[j]];
    }
    int[] fill = new int[n];
    for (int i = 0; i < n; i++) {
      for (int j : out[i]) {
        in[j][fill[j]++] = i;
      }
    }
    return in;
  }

  private static boolean reachesAll(int[][] adj) {
    boolean[] seen = new boolean[adj.length];
    ArrayDeque<Integer> queue = new ArrayDeque<>();
    queue.add(0);
    seen[0] = true;
    int count = 1;
    while (!queue.isEmpty()) {
      for (int j : adj[queue.poll()]) {
        if (!seen[j]) {
          seen[j] = true;
          count++;
          queue.add(j);
        }
      }
    }
    return count == adj.length;
  }

  @Override
  public String toString() {
    return (directed ? "directed" : "undirected") + " graph, " + size() + " peers, " + edges() + " edges";
  }
}
