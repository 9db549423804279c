package dev.starling.p2p;

import dev.starling.core.random.RandomSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.TreeSet;

/**
 * Who talks to whom in a gossip round. Static topologies return the same {@link Graph} every round; time-varying
 * ones ({@link Matching}) a new one per round, drawn from the seed. Every random choice takes the seed given to
 * {@link #parse}. Immutable.
 */
public sealed interface Topology {
  /** The spec forms for help texts and errors. */
  String FORMS = "ring | torus[:RxC] | exponential | directed-exponential | regular:K | full | matching";

  /** The graph of round {@code round} (1-based). */
  Graph graph(int round);

  /** Number of peers. */
  int peers();

  /** Whether the graph changes from round to round. */
  default boolean timeVarying() {
    return false;
  }

  /** The spec this topology parses from. */
  String describe();

  /**
   * Parses {@link #FORMS} for {@code peers} peers; random graphs are drawn from {@code seed}. Throws
   * {@link IllegalArgumentException} naming the spec for a bad form or one that cannot be built for this many peers.
   */
  static Topology parse(String spec, int peers, long seed) {
    if (peers < 2) {
      throw new IllegalArgumentException("p2p needs at least 2 peers. Provided value: " + peers);
    }
    String s = spec.trim().toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String kind = colon < 0 ? s : s.substring(0, colon);
    String arg = colon < 0 ? "" : s.substring(colon + 1);
    try {
      return switch (kind) {
        case "ring" -> noArg(arg, spec, new Static("ring", Static.ring(peers)));
        case "full" -> noArg(arg, spec, new Static("full", Static.full(peers)));
        case "exponential" -> noArg(arg, spec, new Static("exponential", Static.exponential(peers, false)));
        case "directed-exponential" -> noArg(arg, spec,
            new Static("directed-exponential", Static.exponential(peers, true)));
        case "torus" -> torus(arg, peers, spec);
        case "regular" -> {
          int k = Integer.parseInt(arg);
          yield new Static("regular:" + k, Static.randomRegular(peers, k, RandomSource.seeded(seed).derive(0x2E6L)));
        }
        case "matching" -> noArg(arg, spec, new Matching(peers, seed));
        default -> throw new IllegalArgumentException("p2p must be one of " + FORMS + ". Provided value: " + spec);
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("p2p must be one of " + FORMS + ". Provided value: " + spec, e);
    }
  }

  private static Topology noArg(String arg, String spec, Topology t) {
    if (!arg.isEmpty()) {
      throw new IllegalArgumentException("p2p " + t.describe() + " takes no arguments. Provided value: " + spec);
    }
    return t;
  }

  private static Topology torus(String arg, int n, String spec) {
    int r;
    int c;
    if (arg.isEmpty()) {
      r = (int) Math.floor(Math.sqrt(n));
      while (n % r != 0) {
        r--;
      }
      c = n / r;
    } else {
      String[] rc = arg.split("x");
      if (rc.length != 2) {
        throw new IllegalArgumentException("p2p torus must be torus or torus:RxC. Provided value: " + spec);
      }
      r = Integer.parseInt(rc[0].trim());
      c = Integer.parseInt(rc[1].trim());
    }
    if (r < 1 || c < 1 || r * c != n) {
      throw new IllegalArgumentException("p2p torus:" + r + "x" + c + " needs R x C = " + n + " peers. Provided value: "
          + spec);
    }
    if (r == 1 || c == 1) {
      throw new IllegalArgumentException("p2p torus of " + n + " peers is a ring (" + n + " is prime or RxC has a side"
          + " of 1); use ring or another peer count. Provided value: " + spec);
    }
    return new Static("torus:" + r + "x" + c, Static.torus(r, c));
  }

  /** A fixed graph. */
  record Static(String describe, Graph graph) implements Topology {
    public Static {
      if (!graph.connected()) {
        throw new IllegalArgumentException("p2p " + describe + " is not connected: " + graph);
      }
    }

    @Override
    public Graph graph(int round) {
      return graph;
    }

    @Override
    public int peers() {
      return graph.size();
    }

    static Graph ring(int n) {
      int[][] o = new int[n][];
      for (int i = 0; i < n; i++) {
        o[i] = n == 2 ? new int[] {1 - i} : new int[] {(i + n - 1) % n, (i + 1) % n};
      }
      return Graph.of(o, false);
    }

    static Graph full(int n) {
      int[][] o = new int[n][];
      for (int i = 0; i < n; i++) {
        int[] r = new int[n - 1];
        for (int j = 0, k = 0; j < n; j++) {
          if (j != i) {
            r[k++] = j;
          }
        }
        o[i] = r;
      }
      return Graph.of(o, false);
    }

    /**
     * Ying et al. 2021: peer i sends to i + 2^k (mod n) for 2^k below n; undirected: also to i - 2^k, so the
     * mixing weights can be Metropolis-Hastings.
     */
    static Graph exponential(int n, boolean directed) {
      int[][] o = new int[n][];
      for (int i = 0; i < n; i++) {
        TreeSet<Integer> s = new TreeSet<>();
        for (int h = 1; h < n; h <<= 1) {
          s.add((i + h) % n);
          if (!directed) {
            s.add(((i - h) % n + n) % n);
          }
        }
        s.remove(i);
        o[i] = s.stream().mapToInt(Integer::intValue).toArray();
      }
      return Graph.of(o, directed);
    }

    static Graph torus(int rows, int cols) {
      int n = rows * cols;
      int[][] o = new int[n][];
      for (int r = 0; r < rows; r++) {
        for (int c = 0; c < cols; c++) {
          TreeSet<Integer> s = new TreeSet<>();
          s.add(((r + 1) % rows) * cols + c);
          s.add(((r + rows - 1) % rows) * cols + c);
          s.add(r * cols + (c + 1) % cols);
          s.add(r * cols + (c + cols - 1) % cols);
          s.remove(r * cols + c);
          o[r * cols + c] = s.stream().mapToInt(Integer::intValue).toArray();
        }
      }
      return Graph.of(o, false);
    }

    /**
     * A uniformly drawn connected simple k-regular graph (Steger and Wormald's pairing: pair random free stubs of
     * distinct, not yet adjacent peers; start over when stuck or disconnected).
     */
    static Graph randomRegular(int n, int k, RandomSource rng) {
      if (k < 2 || k >= n || ((long) n * k) % 2 != 0) {
        throw new IllegalArgumentException("p2p regular:K needs 2 <= K < peers and peers x K even; K = " + k
            + ", peers = " + n);
      }
      for (int attempt = 0; attempt < 10_000; attempt++) {
        Graph g = tryRegular(n, k, rng);
        if (g != null && g.connected()) {
          return g;
        }
      }
      throw new IllegalArgumentException("p2p regular:" + k + ": no connected " + k + "-regular graph on " + n
          + " peers found in 10000 draws");
    }

    private static Graph tryRegular(int n, int k, RandomSource rng) {
      List<TreeSet<Integer>> adj = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        adj.add(new TreeSet<>());
      }
      int[] stubs = new int[n * k];
      for (int i = 0; i < stubs.length; i++) {
        stubs[i] = i / k;
      }
      int live = stubs.length;
      while (live > 0) {
        boolean paired = false;
        for (int tries = 0; tries < 50 && !paired; tries++) {
          int a = rng.nextInt(live);
          int b = rng.nextInt(live);
          int u = stubs[a];
          int v = stubs[b];
          if (a == b || u == v || adj.get(u).contains(v)) {
            continue;
          }
          adj.get(u).add(v);
          adj.get(v).add(u);
          // remove the two stubs (larger index first)
          int hi = Math.max(a, b);
          int lo = Math.min(a, b);
          stubs[hi] = stubs[--live];
          stubs[lo] = stubs[--live];
          paired = true;
        }
        if (!paired) {
          return null;
        }
      }
      int[][] o = new int[n][];
      for (int i = 0; i < n; i++) {
        o[i] = adj.get(i).stream().mapToInt(Integer::intValue).toArray();
      }
      return Graph.of(o, false);
    }
  }

  /**
   * Time-varying random matchings: every round a fresh uniformly random perfect matching (one peer sits out when
   * the count is odd), drawn from (seed, round). Each graph is disconnected; their union over rounds is not.
   */
  record Matching(int peers, long seed) implements Topology {
    private static final long STREAM = 0x3A7CL;

    @Override
    public Graph graph(int round) {
      int[] p = RandomSource.seeded(seed).derive(STREAM, round).permutation(peers);
      int[][] o = new int[peers][];
      for (int i = 0; i < peers; i++) {
        o[i] = new int[0];
      }
      for (int i = 0; i + 1 < peers; i += 2) {
        o[p[i]] = new int[] {p[i + 1]};
        o[p[i + 1]] = new int[] {p[i]};
      }
      return Graph.of(o, false);
    }

    @Override
    public boolean timeVarying() {
      return true;
    }

    @Override
    public String describe() {
      return "matching";
    }
  }
}
