package dev.starling.p2p;

import java.util.Arrays;

/**
 * Self-centred clipping (He, Karimireddy, Jaggi 2022, "Byzantine-robust decentralized learning via ClippedGossip"):
 * peer i moves towards each neighbour by at most a radius, {@code x_i <- x_i + sum_j W_ij CLIP(x_j - x_i, tau_i)}, so
 * a Byzantine neighbour can pull it by at most {@code W_ij tau_i} per round whatever it sends. Immutable.
 *
 * @param tau the clipping radius; 0 = adaptive: each peer's radius is the median of its distances to its neighbours
 *     this round (bounded by an honest neighbour's distance while fewer than half of its neighbours are Byzantine)
 */
public record RobustGossip(double tau) {
  public RobustGossip {
    if (!(tau >= 0 && Double.isFinite(tau))) {
      throw new IllegalArgumentException("robust-gossip must be clip or clip:TAU with TAU > 0. Provided value: " + tau);
    }
  }

  /** Parses {@code clip} (adaptive radius) or {@code clip:TAU}. */
  public static RobustGossip parse(String spec) {
    String s = spec.trim().toLowerCase(java.util.Locale.ROOT);
    if (s.equals("clip")) {
      return new RobustGossip(0);
    }
    if (s.startsWith("clip:")) {
      try {
        double t = Double.parseDouble(s.substring(5));
        if (t > 0) {
          return new RobustGossip(t);
        }
      } catch (NumberFormatException e) {
        // falls through to the message below
      }
    }
    throw new IllegalArgumentException("robust-gossip must be clip (adaptive radius) or clip:TAU with TAU > 0."
        + " Provided value: " + spec);
  }

  public boolean adaptive() {
    return tau == 0;
  }

  public String describe() {
    return adaptive() ? "self-centred clipping, adaptive radius (median neighbour distance)"
        : "self-centred clipping, radius " + tau;
  }

  /** One clipped gossip row: {@code out = x_i + sum_{j != i} W_ij CLIP(x_j - x_i, tau_i)}. */
  void mixRow(int i, float[][] x, MixingWeights w, float[] out) {
    int[] c = w.colsRef(i);
    double[] wt = w.weightsRef(i);
    float[] xi = x[i];
    int d = xi.length;
    double[] dist = new double[c.length - 1];
    for (int k = 1; k < c.length; k++) {
      float[] xj = x[c[k]];
      double s = 0;
      for (int t = 0; t < d; t++) {
        double diff = (double) xj[t] - xi[t];
        s += diff * diff;
      }
      dist[k - 1] = Math.sqrt(s);
    }
    double radius = tau;
    if (adaptive() && dist.length > 0) {
      double[] sorted = dist.clone();
      Arrays.sort(sorted);
      int m = sorted.length;
      radius = m % 2 == 1 ? sorted[m / 2] : 0.5 * (sorted[m / 2 - 1] + sorted[m / 2]);
    }
    double[] acc = new double[d];
    for (int t = 0; t < d; t++) {
      acc[t] = xi[t];
    }
    for (int k = 1; k < c.length; k++) {
      float[] xj = x[c[k]];
      double scale = wt[k] * (dist[k - 1] > radius ? radius / dist[k - 1] : 1.0);
      for (int t = 0; t < d; t++) {
        acc[t] += scale * ((double) xj[t] - xi[t]);
      }
    }
    for (int t = 0; t < d; t++) {
      out[t] = (float) acc[t];
    }
  }
}
