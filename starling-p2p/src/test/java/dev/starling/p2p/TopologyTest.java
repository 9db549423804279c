package dev.starling.p2p;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class TopologyTest {
  private static final List<String> UNDIRECTED = List.of("ring", "torus", "exponential", "regular:4", "full", "matching");

  @ParameterizedTest
  @ValueSource(ints = {2, 5, 9, 16, 30})
  void metropolisHastingsWeightsAreSymmetricAndDoublyStochasticForEveryTopology(int n) {
    for (String spec : UNDIRECTED) {
      if ((spec.equals("torus") && (n < 4 || n == 5)) || (spec.startsWith("regular") && (n <= 4 || n * 4 % 2 != 0))) {
        continue;
      }
      Topology t = Topology.parse(spec, n, 7);
      for (int round = 1; round <= (t.timeVarying() ? 20 : 1); round++) {
        MixingWeights w = MixingWeights.metropolisHastings(t.graph(round));
        assertThat(w.doublyStochastic(1e-12)).as("%s, %d peers, round %d", spec, n, round).isTrue();
        double[][] m = w.dense();
        for (int i = 0; i < n; i++) {
          assertThat(m[i][i]).as("%s diagonal", spec).isPositive();
          for (int j = 0; j < n; j++) {
            assertThat(m[i][j]).as("%s symmetric at %d,%d", spec, i, j).isEqualTo(m[j][i]);
          }
        }
      }
    }
  }

  @Test
  void degreesAreThoseOfTheNamedGraphs() {
    Graph ring = Topology.parse("ring", 16, 1).graph(1);
    Graph torus = Topology.parse("torus", 16, 1).graph(1);
    Graph exp = Topology.parse("exponential", 16, 1).graph(1);
    Graph reg = Topology.parse("regular:5", 16, 1).graph(1);
    Graph full = Topology.parse("full", 16, 1).graph(1);
    for (int i = 0; i < 16; i++) {
      assertThat(ring.degree(i)).isEqualTo(2);
      assertThat(torus.degree(i)).isEqualTo(4);
      assertThat(exp.degree(i)).isEqualTo(7); // +-1, +-2, +-4, 8
      assertThat(reg.degree(i)).isEqualTo(5);
      assertThat(full.degree(i)).isEqualTo(15);
    }
    assertThat(Topology.parse("torus", 16, 1).describe()).isEqualTo("torus:4x4");
    assertThat(exp.outNeighbours(0)).containsExactly(1, 2, 4, 8, 12, 14, 15);
    assertThat(Topology.parse("directed-exponential", 16, 1).graph(1).outNeighbours(3)).containsExactly(4, 5, 7, 11);
  }

  @Test
  void randomGraphsAreSeededConnectedAndDifferBySeed() {
    Graph a = Topology.parse("regular:3", 20, 5).graph(1);
    Graph b = Topology.parse("regular:3", 20, 5).graph(1);
    Graph c = Topology.parse("regular:3", 20, 6).graph(1);
    assertThat(a.connected()).isTrue();
    boolean same = true;
    boolean differs = false;
    for (int i = 0; i < 20; i++) {
      same &= java.util.Arrays.equals(a.outNeighbours(i), b.outNeighbours(i));
      differs |= !java.util.Arrays.equals(a.outNeighbours(i), c.outNeighbours(i));
    }
    assertThat(same).isTrue();
    assertThat(differs).isTrue();
  }

  @Test
  void matchingsChangeEveryRoundAndPairEachPeerWithAtMostOne() {
    Topology m = Topology.parse("matching", 9, 3);
    Graph r1 = m.graph(1);
    Graph r2 = m.graph(2);
    int alone = 0;
    boolean changed = false;
    for (int i = 0; i < 9; i++) {
      assertThat(r1.degree(i)).isLessThanOrEqualTo(1);
      alone += r1.degree(i) == 0 ? 1 : 0;
      changed |= !java.util.Arrays.equals(r1.outNeighbours(i), r2.outNeighbours(i));
    }
    assertThat(alone).isEqualTo(1);
    assertThat(changed).isTrue();
    assertThat(m.graph(1).outNeighbours(0)).containsExactly(r1.outNeighbours(0));
  }

  @Test
  void pushWeightsAreColumnStochasticOnDirectedGraphs() {
    Graph g = Topology.parse("directed-exponential", 12, 1).graph(1);
    double[][] m = MixingWeights.uniformPush(g).dense();
    for (int j = 0; j < 12; j++) {
      double col = 0;
      for (int i = 0; i < 12; i++) {
        col += m[i][j];
      }
      assertThat(col).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
    }
    // a circulant graph: every peer has the same in- and out-degree, so uniform push weights are doubly stochastic too
    assertThat(MixingWeights.uniformPush(g).doublyStochastic(1e-12)).isTrue();
    Graph star = Graph.of(new int[][] {{1, 2}, {0}, {1}}, true);
    assertThat(MixingWeights.uniformPush(star).doublyStochastic(1e-9)).isFalse();
  }

  @Test
  void badSpecsNameTheProblem() {
    assertThatThrownBy(() -> Topology.parse("star", 8, 1)).hasMessageContaining("p2p must be one of");
    assertThatThrownBy(() -> Topology.parse("torus:3x3", 8, 1)).hasMessageContaining("R x C = 8");
    assertThatThrownBy(() -> Topology.parse("torus", 7, 1)).hasMessageContaining("ring");
    assertThatThrownBy(() -> Topology.parse("regular:3", 7, 1)).hasMessageContaining("even");
    assertThatThrownBy(() -> Topology.parse("ring:2", 7, 1)).hasMessageContaining("takes no arguments");
    assertThatThrownBy(() -> Topology.parse("ring", 1, 1)).hasMessageContaining("at least 2 peers");
  }
}
