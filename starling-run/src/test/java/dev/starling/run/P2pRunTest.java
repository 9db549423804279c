package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.Attack;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@code p2p} through run assembly: refusals before round 1, and Byzantine peers from the population's adversity. */
class P2pRunTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RunSpec spec(RunSpec.P2p p2p) {
    return RunSpec.defaults().withModel("logreg").withSeed(3)
        .withTraining(new RunSpec.Training(1, 16, 0.1, 0, 0)).withLoop(RunSpec.Loop.defaults().withRounds(6))
        .withPopulation(RunSpec.Population.of(8, "iid")).withP2p(Optional.of(p2p));
  }

  private static void refused(UnaryOperator<RunSpec> change, String setting, String words) {
    assertThatThrownBy(() -> RunAssembler.assemble(change.apply(spec(RunSpec.P2p.of("ring"))),
        RunAssembler.Target.SIMULATION))
        .isInstanceOf(InvalidRunException.class)
        .satisfies(e -> assertThat(((InvalidRunException) e).setting()).isEqualTo(setting))
        .hasMessageContaining(words);
  }

  @Test
  void combinationsThatNeedAServerAreRefusedNamingTheSetting() {
    refused(s -> s.withStrategy("median"), "strategy", "no server to run median");
    refused(s -> s.withPrivacy(s.privacy().withSecAgg(Optional.of(new RunSpec.SecAgg(0.3, 8)))), "secagg", "p2p");
    refused(s -> s.withPrivacy(s.privacy().withDp(new RunSpec.Dp.Central(1, 1, false))), "dp", "local:CLIP,SIGMA");
    refused(s -> s.withPrivacy(s.privacy().withDp(new RunSpec.Dp.Sgd(1, 1))), "dp-sgd", "local:CLIP,SIGMA");
    refused(s -> s.withCompression(RunSpec.Compression.of("topk:0.1", "none")), "uplink-codec", "choco");
    refused(s -> s.withCompression(RunSpec.Compression.of("none", "fp16")), "downlink-codec", "no downlink");
    refused(s -> s.withSync(RunSpec.SyncMode.parse("async")), "sync", "synchronous");
    refused(s -> s.withP2p(Optional.of(new RunSpec.P2p("ring", "choco", Optional.of("clip")))), "robust-gossip",
        "dpsgd only");
    assertThatThrownBy(() -> RunAssembler.assemble(spec(RunSpec.P2p.of("ring")), RunAssembler.Target.SERVER))
        .isInstanceOf(InvalidRunException.class).hasMessageContaining("no server");
    // bad values are refused by the spec itself
    assertThatThrownBy(() -> spec(RunSpec.P2p.of("torus:3x3"))).isInstanceOf(InvalidRunException.class)
        .hasMessageContaining("p2p");
    assertThatThrownBy(() -> spec(new RunSpec.P2p("ring", "gossipy", Optional.empty())))
        .isInstanceOf(InvalidRunException.class).hasMessageContaining("gossip must be one of");
    assertThatThrownBy(() -> new RunSpec.P2p("ring", "dpsgd", Optional.of("clip:-1")))
        .isInstanceOf(InvalidRunException.class).hasMessageContaining("robust-gossip");
  }

  private static RoundLoop.Result run(RunSpec s) {
    try (P2pRun r = P2pRun.create(s, digits.train(), digits.test(), 2, false)) {
      return r.run(RoundListener.NONE);
    }
  }

  @Test
  void byzantinePeersDragPlainGossipAndRobustGossipResists() {
    Adversity two = new Adversity(new Attack.GaussianNoise(1), 0.25, 0, false);
    RunSpec attacked = spec(RunSpec.P2p.of("exponential")).withPopulation(new RunSpec.Population(8, "iid", 0, two));
    RunSpec robust = attacked.withP2p(Optional.of(new RunSpec.P2p("exponential", "dpsgd", Optional.of("clip"))));
    RoundRecord plain = last(run(attacked));
    RoundRecord defended = last(run(robust));
    assertThat(defended.metric("test_accuracy")).as("defended").isGreaterThan(0.75);
    assertThat(plain.metric("test_accuracy")).isLessThan(defended.metric("test_accuracy") - 0.15);
    assertThat(plain.metric("consensus_distance")).isGreaterThan(10 * defended.metric("consensus_distance"));
  }

  @Test
  void chocoWithTopKSendsLessAndStillLearns() {
    RunSpec choco = spec(new RunSpec.P2p("ring", "choco:0.5", Optional.empty()))
        .withCompression(RunSpec.Compression.of("topk:0.1", "none"));
    RoundLoop.Result c = run(choco);
    RoundLoop.Result plain = run(spec(RunSpec.P2p.of("ring")));
    assertThat(last(c).metric("test_accuracy")).isGreaterThan(0.8);
    assertThat(last(c).bytesUp()).isLessThan(last(plain).bytesUp() / 4);
  }

  @Test
  void localDpTargetEpsilonStopsThePeers() {
    RunSpec dp = spec(RunSpec.P2p.of("ring")).withPrivacy(new RunSpec.Privacy(new RunSpec.Dp.Local(1, 4),
        OptionalDouble.of(5.0), 1e-5, "rdp", true, Optional.empty()));
    RoundLoop.Result r = run(dp);
    assertThat(r.history().rounds()).hasSizeLessThan(6);
    assertThat(last(r).metric("epsilon")).isLessThanOrEqualTo(5.0);
    assertThat(r.history().stopReason()).contains("privacy budget");
  }

  private static RoundRecord last(RoundLoop.Result r) {
    List<RoundRecord> rs = r.history().rounds();
    return rs.get(rs.size() - 1);
  }
}
