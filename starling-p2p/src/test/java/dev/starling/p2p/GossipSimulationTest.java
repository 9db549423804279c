package dev.starling.p2p;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.Learners;
import dev.starling.privacy.accounting.RdpAccountant;
import dev.starling.privacy.dp.LocalDpConfig;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.stream.IntStream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class GossipSimulationTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static List<Dataset> split(int n) {
    List<Dataset> out = new ArrayList<>();
    Dataset train = digits.train();
    for (int i = 0; i < n; i++) {
      int peer = i;
      out.add(train.subset(IntStream.range(0, train.size()).filter(r -> r % n == peer).toArray()));
    }
    return out;
  }

  private static RoundLoop.Result run(String topology, int threads, int rounds, Optional<LocalDpConfig> dp) {
    int n = 8;
    GossipConfig cfg = new GossipConfig(Topology.parse(topology, n, 1), new GossipMode.DPsgd(), Optional.empty(), dp,
        TrainConfig.builder().localEpochs(1).batchSize(16).learningRate(0.1).build(), rounds, List.of(), 5, threads);
    List<List<TrainInterceptor>> none = IntStream.range(0, n).mapToObj(i -> List.<TrainInterceptor>of()).toList();
    try (GossipSimulation sim = new GossipSimulation(cfg, Learners.parse("logreg"), split(n), digits.test(), none,
        Set.of())) {
      return sim.run(RoundListener.NONE);
    }
  }

  @Test
  void peersLearnDigitsWithoutAServerAndReportTheGossipMetrics() {
    RoundLoop.Result r = run("exponential", 2, 15, Optional.empty());
    List<RoundRecord> rounds = r.history().rounds();
    RoundRecord first = rounds.get(0);
    RoundRecord last = rounds.get(rounds.size() - 1);
    assertThat(last.metric("test_accuracy")).isGreaterThan(0.88);
    assertThat(last.metric("peer_accuracy_min")).isLessThanOrEqualTo(last.metric("peer_accuracy_median"));
    assertThat(last.metric("peer_accuracy_median")).isLessThanOrEqualTo(last.metric("peer_accuracy_max"));
    assertThat(last.metric("peer_accuracy_min")).isGreaterThan(0.85);
    assertThat(last.metric(GossipSimulation.CONSENSUS)).isPositive().isLessThan(first.metric(GossipSimulation.CONSENSUS));
    // logreg on 64 features, 10 classes: 650 float32 values to each neighbour
    long model = (64 * 10 + 10) * 4L;
    int degree = Topology.parse("exponential", 8, 1).graph(1).degree(0);
    assertThat(last.metric(GossipSimulation.BYTES_PER_PEER)).isEqualTo((double) degree * model);
    assertThat(last.bytesUp()).isEqualTo(8L * degree * model);
  }

  @Test
  void theResultDoesNotDependOnTheThreadCount() {
    RoundLoop.Result one = run("ring", 1, 3, Optional.empty());
    RoundLoop.Result four = run("ring", 4, 3, Optional.empty());
    assertThat(four.global().flatten()).containsExactly(one.global().flatten());
    for (int i = 0; i < 3; i++) {
      assertThat(four.history().rounds().get(i).metrics()).isEqualTo(one.history().rounds().get(i).metrics());
    }
  }

  @Test
  void localDpIsAccountedPerPeerWithTheRdpAccountant() {
    LocalDpConfig dp = LocalDpConfig.of(1.0, 2.0).with(1e-5, java.util.OptionalDouble.empty(), new RdpAccountant(), true);
    RoundLoop.Result r = run("ring", 2, 3, Optional.of(dp));
    double eps = r.history().rounds().get(2).metric("epsilon");
    assertThat(eps).isCloseTo(new RdpAccountant().epsilon(1.0, 1.0, 3, 1e-5), org.assertj.core.data.Offset.offset(1e-9));
    assertThat(r.history().rounds().get(0).metric("epsilon")).isLessThan(eps);
  }
}
