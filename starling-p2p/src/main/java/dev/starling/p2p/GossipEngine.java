package dev.starling.p2p;

import dev.starling.compression.CodecChain;
import dev.starling.core.random.RandomSource;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Future;
import java.util.function.IntConsumer;

/**
 * The gossip state of n peers on flat float32 vectors, independent of any learner: the peers' models (push-sum:
 * numerators and weights; CHOCO: the public copies too) and one {@link #gossip} step after local training. Each peer's
 * row is computed on its own from the previous state, so results do not depend on the number of threads.
 * Thread-confined.
 */
public final class GossipEngine {
  private static final long CHOCO_STREAM = 0xC40C0L;
  private static final int FLOAT_BYTES = Float.BYTES;

  private final Topology topology;
  private final GossipMode mode;
  private final Optional<RobustGossip> robust;
  private final long seed;
  private final ExecutorService executor;
  private final int n;
  private final int d;
  private float[][] x;
  private final double[] pushWeight;
  private final float[][] xHat;
  private Graph lastGraph;
  private MixingWeights lastWeights;

  /**
   * Every peer starts from {@code initial}. {@code executor}: runs the peers' rows (null: the calling thread).
   * Throws {@link IllegalArgumentException} when the mode cannot run on the topology (D-PSGD and CHOCO need doubly
   * stochastic weights: undirected graphs, or directed ones whose push weights happen to be doubly stochastic;
   * robust gossip runs with D-PSGD only).
   */
  public GossipEngine(Topology topology, GossipMode mode, Optional<RobustGossip> robust, float[] initial, long seed,
      ExecutorService executor) {
    this.topology = Objects.requireNonNull(topology, "topology");
    this.mode = Objects.requireNonNull(mode, "mode");
    this.robust = Objects.requireNonNull(robust, "robust");
    this.seed = seed;
    this.executor = executor;
    this.n = topology.peers();
    this.d = initial.length;
    if (robust.isPresent() && !(mode instanceof GossipMode.DPsgd)) {
      throw new IllegalArgumentException("robust-gossip runs with gossip dpsgd only (push-sum's weights and CHOCO's"
          + " public copies would need their own clipping); provided gossip " + mode.describe());
    }
    if (!(mode instanceof GossipMode.PushSum) && !topology.timeVarying()) {
      weights(1); // refuses a directed graph whose weights are not doubly stochastic
    }
    this.x = new float[n][];
    for (int i = 0; i < n; i++) {
      x[i] = initial.clone();
    }
    this.pushWeight = mode instanceof GossipMode.PushSum ? filled(n, 1.0) : null;
    if (mode instanceof GossipMode.Choco) {
      xHat = new float[n][d]; // the public copies start at 0 (Koloskova et al., Algorithm 1)
    } else {
      xHat = null;
    }
  }

  private static double[] filled(int n, double v) {
    double[] a = new double[n];
    java.util.Arrays.fill(a, v);
    return a;
  }

  /** Number of peers. */
  public int peers() {
    return n;
  }

  /** Length of every model vector. */
  public int dimension() {
    return d;
  }

  /** The model peer i trains from and is evaluated on (push-sum: numerator / weight); a copy. */
  public float[] model(int i) {
    if (pushWeight == null) {
      return x[i].clone();
    }
    float[] z = new float[d];
    double w = pushWeight[i];
    for (int t = 0; t < d; t++) {
      z[t] = (float) (x[i][t] / w);
    }
    return z;
  }

  /** The mixing weights of {@code round}'s graph. */
  public MixingWeights weights(int round) {
    Graph g = topology.graph(round);
    if (g == lastGraph) {
      return lastWeights;
    }
    MixingWeights w;
    if (mode instanceof GossipMode.PushSum) {
      w = MixingWeights.uniformPush(g);
    } else if (!g.directed()) {
      w = MixingWeights.metropolisHastings(g);
    } else {
      w = MixingWeights.uniformPush(g);
      if (!w.doublyStochastic(1e-12)) {
        throw new IllegalArgumentException("gossip " + mode.describe() + " needs doubly stochastic weights, which "
            + topology.describe() + " with " + n + " peers does not have (a directed graph); use gossip push-sum");
      }
    }
    lastGraph = g;
    lastWeights = w;
    return w;
  }

  /**
   * One gossip step of {@code round} after local training: {@code trained[i]} is peer i's model after its local
   * steps (for push-sum, the de-biased model it trained from {@link #model}). Returns the bytes each peer sent.
   */
  public long[] gossip(int round, float[][] trained) {
    if (trained.length != n) {
      throw new IllegalArgumentException("expected " + n + " trained models, got " + trained.length);
    }
    for (int i = 0; i < n; i++) {
      if (trained[i].length != d) {
        throw new IllegalArgumentException("peer " + i + " trained a model of " + trained[i].length + " values; expected "
            + d);
      }
    }
    Graph g = topology.graph(round);
    MixingWeights w = weights(round);
    long[] bytes = new long[n];
    float[][] next = new float[n][d];
    switch (mode) {
      case GossipMode.DPsgd dp -> {
        parallel(i -> {
          if (robust.isPresent()) {
            robust.get().mixRow(i, trained, w, next[i]);
          } else {
            w.mixRow(i, trained, next[i]);
          }
          bytes[i] = (long) g.degree(i) * d * FLOAT_BYTES;
        });
        x = next;
      }
      case GossipMode.PushSum ps -> {
        float[][] num = new float[n][d];
        parallel(i -> {
          double wi = pushWeight[i];
          for (int t = 0; t < d; t++) {
            num[i][t] = (float) (trained[i][t] * wi);
          }
        });
        parallel(i -> {
          w.mixRow(i, num, next[i]);
          bytes[i] = (long) g.degree(i) * (d * FLOAT_BYTES + Double.BYTES);
        });
        double[] nw = new double[n];
        for (int i = 0; i < n; i++) {
          int[] c = w.colsRef(i);
          double[] wt = w.weightsRef(i);
          for (int k = 0; k < c.length; k++) {
            nw[i] += wt[k] * pushWeight[c[k]];
          }
        }
        System.arraycopy(nw, 0, pushWeight, 0, n);
        x = next;
      }
      case GossipMode.Choco ch -> {
        CodecChain codec = ch.codec();
        float[][] q = new float[n][];
        parallel(i -> {
          float[] diff = new float[d];
          for (int t = 0; t < d; t++) {
            diff[t] = trained[i][t] - xHat[i][t];
          }
          if (codec.isIdentity()) {
            q[i] = diff;
            bytes[i] = (long) g.degree(i) * d * FLOAT_BYTES;
          } else {
            byte[] enc = codec.encode(diff, RandomSource.seeded(seed).derive(CHOCO_STREAM, round, i));
            q[i] = codec.decode(enc);
            bytes[i] = (long) g.degree(i) * enc.length;
          }
        });
        parallel(i -> {
          for (int t = 0; t < d; t++) {
            xHat[i][t] += q[i][t];
          }
        });
        double gamma = ch.gamma();
        parallel(i -> {
          int[] c = w.colsRef(i);
          double[] wt = w.weightsRef(i);
          float[] hi = xHat[i];
          float[] out = next[i];
          double[] acc = new double[d];
          for (int k = 1; k < c.length; k++) {
            float[] hj = xHat[c[k]];
            double wk = wt[k];
            for (int t = 0; t < d; t++) {
              acc[t] += wk * ((double) hj[t] - hi[t]);
            }
          }
          for (int t = 0; t < d; t++) {
            out[t] = (float) (trained[i][t] + gamma * acc[t]);
          }
        });
        x = next;
      }
    }
    return bytes;
  }

  private void parallel(IntConsumer row) {
    if (executor == null || n == 1) {
      for (int i = 0; i < n; i++) {
        row.accept(i);
      }
      return;
    }
    List<Future<?>> fs = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      int peer = i;
      fs.add(executor.submit(() -> row.accept(peer)));
    }
    for (Future<?> f : fs) {
      try {
        f.get();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException("interrupted while gossiping", e);
      } catch (ExecutionException e) {
        Throwable c = e.getCause();
        if (c instanceof RuntimeException re) {
          throw re;
        }
        throw new IllegalStateException(c);
      }
    }
  }

  /** Mean squared distance of the peers' models ({@link #model}) to their average, over {@code peers}. */
  public double consensusDistance(int[] peers) {
    float[][] m = new float[peers.length][];
    for (int k = 0; k < peers.length; k++) {
      m[k] = model(peers[k]);
    }
    return consensusDistance(m);
  }

  /** Mean squared L2 distance of {@code models} to their average. */
  public static double consensusDistance(float[][] models) {
    double[] avg = average(models);
    double s = 0;
    for (float[] m : models) {
      for (int t = 0; t < avg.length; t++) {
        double diff = m[t] - avg[t];
        s += diff * diff;
      }
    }
    return s / models.length;
  }

  /** The coordinate-wise average of {@code models}, in double. */
  public static double[] average(float[][] models) {
    int dim = models[0].length;
    double[] avg = new double[dim];
    for (float[] m : models) {
      for (int t = 0; t < dim; t++) {
        avg[t] += m[t];
      }
    }
    for (int t = 0; t < dim; t++) {
      avg[t] /= models.length;
    }
    return avg;
  }
}
