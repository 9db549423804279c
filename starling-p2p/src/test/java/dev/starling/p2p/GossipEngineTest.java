package dev.starling.p2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.compression.Codecs;
import dev.starling.core.random.RandomSource;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** Pure averaging (no local training): the first round's "training" hands every peer its own vector. */
class GossipEngineTest {
  private static final int D = 40;

  private static float[][] randomVectors(int n, long seed) {
    RandomSource r = RandomSource.seeded(seed);
    float[][] v = new float[n][D];
    for (int i = 0; i < n; i++) {
      for (int t = 0; t < D; t++) {
        v[i][t] = (float) (r.nextGaussian() * 3 + i);
      }
    }
    return v;
  }

  /** Runs {@code rounds} rounds whose first "training" sets the peers' vectors; returns the engine. */
  private static GossipEngine averaging(String topology, GossipMode mode, Optional<RobustGossip> robust, float[][] start,
      int rounds, int[] byzantine, ExecutorService ex) {
    int n = start.length;
    GossipEngine e = new GossipEngine(Topology.parse(topology, n, 3), mode, robust, new float[D], 11, ex);
    RandomSource attack = RandomSource.seeded(99);
    for (int r = 1; r <= rounds; r++) {
      float[][] sent = new float[n][];
      for (int i = 0; i < n; i++) {
        sent[i] = r == 1 ? start[i].clone() : e.model(i);
      }
      for (int b : byzantine) {
        for (int t = 0; t < D; t++) {
          sent[b][t] = (float) (attack.nextGaussian() * 100 + 50);
        }
      }
      e.gossip(r, sent);
    }
    return e;
  }

  private static double maxError(GossipEngine e, double[] target, int[] peers) {
    double worst = 0;
    for (int i : peers) {
      float[] m = e.model(i);
      double s = 0;
      for (int t = 0; t < D; t++) {
        s += (m[t] - target[t]) * (m[t] - target[t]);
      }
      worst = Math.max(worst, Math.sqrt(s));
    }
    return worst;
  }

  private static int[] range(int n) {
    return java.util.stream.IntStream.range(0, n).toArray();
  }

  @Test
  void dpsgdGossipOnFixedGraphsConvergesToTheExactAverage() {
    float[][] start = randomVectors(16, 1);
    double[] avg = GossipEngine.average(start);
    for (String t : new String[] {"ring", "torus", "exponential", "regular:3", "full", "matching"}) {
      GossipEngine e = averaging(t, new GossipMode.DPsgd(), Optional.empty(), start, 400, new int[0], null);
      assertThat(maxError(e, avg, range(16))).as(t).isLessThan(1e-4);
      assertThat(e.consensusDistance(range(16))).as(t).isLessThan(1e-9);
    }
  }

  @Test
  void pushSumOnADirectedGraphWithoutDoublyStochasticWeightsConvergesToTheAverage() {
    float[][] start = randomVectors(12, 2);
    double[] avg = GossipEngine.average(start);
    GossipEngine e = pushAveraging(skewed(), start, 300);
    assertThat(maxError(e, avg, range(12))).isLessThan(1e-4);
    // D-PSGD there would converge to a weighted average, so it is refused
    assertThatThrownBy(() -> new GossipEngine(skewed(), new GossipMode.DPsgd(), Optional.empty(), new float[D], 1, null))
        .hasMessageContaining("use gossip push-sum");
  }

  /** A strongly connected directed graph with unequal degrees: a directed ring plus peer 0 sending to everyone. */
  private static Topology skewed() {
    int[][] out = new int[12][];
    out[0] = java.util.stream.IntStream.range(1, 12).toArray();
    for (int i = 1; i < 12; i++) {
      out[i] = new int[] {(i + 1) % 12};
    }
    return new Topology.Static("skewed", Graph.of(out, true));
  }

  private static GossipEngine pushAveraging(Topology t, float[][] start, int rounds) {
    GossipEngine e = new GossipEngine(t, new GossipMode.PushSum(), Optional.empty(), new float[D], 11, null);
    for (int r = 1; r <= rounds; r++) {
      float[][] sent = new float[start.length][];
      for (int i = 0; i < start.length; i++) {
        sent[i] = r == 1 ? start[i].clone() : e.model(i);
      }
      e.gossip(r, sent);
    }
    return e;
  }

  @Test
  void chocoWithTopKConvergesToTheAverageAndSendsFewerBytes() {
    float[][] start = randomVectors(8, 3);
    double[] avg = GossipEngine.average(start);
    GossipMode choco = new GossipMode.Choco(0.3, Codecs.parse("topk:0.25"));
    GossipEngine e = averaging("ring", choco, Optional.empty(), start, 600, new int[0], null);
    assertThat(maxError(e, avg, range(8))).isLessThan(1e-3);
    long[] bytes = new GossipEngine(Topology.parse("ring", 8, 1), choco, Optional.empty(), new float[D], 1, null)
        .gossip(1, start);
    assertThat(bytes[0]).isLessThan(2L * D * Float.BYTES / 2);
  }

  @Test
  void selfCentredClippingKeepsHonestPeersNearTheHonestAverageWhilePlainGossipIsDragged() {
    int n = 16;
    float[][] start = randomVectors(n, 4);
    int[] byz = {3, 11};
    int[] honest = java.util.stream.IntStream.range(0, n).filter(i -> i != 3 && i != 11).toArray();
    float[][] honestStart = new float[honest.length][];
    for (int k = 0; k < honest.length; k++) {
      honestStart[k] = start[honest[k]];
    }
    double[] honestAvg = GossipEngine.average(honestStart);
    double spread = Math.sqrt(GossipEngine.consensusDistance(honestStart));
    GossipEngine plain = averaging("exponential", new GossipMode.DPsgd(), Optional.empty(), start, 60, byz, null);
    GossipEngine robust = averaging("exponential", new GossipMode.DPsgd(), Optional.of(new RobustGossip(0)), start, 60,
        byz, null);
    assertThat(maxError(plain, honestAvg, honest)).isGreaterThan(5 * spread);
    assertThat(maxError(robust, honestAvg, honest)).isLessThan(0.5 * spread);
  }

  @Test
  void resultsDoNotDependOnTheThreadCount() {
    float[][] start = randomVectors(16, 5);
    GossipMode choco = new GossipMode.Choco(0.5, Codecs.parse("randk:0.3+int8"));
    ExecutorService ex = Executors.newFixedThreadPool(4);
    try {
      GossipEngine a = averaging("exponential", choco, Optional.empty(), start, 30, new int[0], null);
      GossipEngine b = averaging("exponential", choco, Optional.empty(), start, 30, new int[0], ex);
      for (int i = 0; i < 16; i++) {
        assertThat(b.model(i)).containsExactly(a.model(i));
      }
    } finally {
      ex.shutdownNow();
    }
  }

  @Test
  void robustGossipIsRefusedWithPushSumAndChoco() {
    assertThatThrownBy(() -> new GossipEngine(Topology.parse("ring", 4, 1), new GossipMode.PushSum(),
        Optional.of(new RobustGossip(1)), new float[2], 1, null)).hasMessageContaining("dpsgd only");
  }
}
