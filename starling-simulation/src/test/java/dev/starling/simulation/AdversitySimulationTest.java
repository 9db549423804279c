package dev.starling.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.TrainConfig;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.Attack;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Scaffold;
import dev.starling.strategy.Strategy;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class AdversitySimulationTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws IOException {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private record Run(RoundLoop.Result result, Simulation sim) {}

  private static Run run(Adversity adv, Strategy strategy, String partition, int rounds, int epochs) {
    SimulationConfig cfg = new SimulationConfig(ModelSpec.logreg(), Partitioners.parse(partition), 10, 0, 2, false, 4, adv);
    RoundLoopConfig loop = RoundLoopConfig.builder().rounds(rounds).fractionFit(1.0)
        .trainDefaults(TrainConfig.builder().localEpochs(epochs).batchSize(16).learningRate(0.1).build()).build();
    try (Simulation sim = new Simulation(cfg, digits.train(), digits.test())) {
      return new Run(sim.run(strategy, loop, RoundListener.NONE), sim);
    }
  }

  @Test
  void signFlipAttackers_breakFedAvgAndAreCountedInMetrics() {
    Run honest = run(Adversity.none(), new FedAvg(), "iid", 8, 2);
    Run attacked = run(new Adversity(Attack.parse("sign-flip:5"), 0.3, 0, false), new FedAvg(), "iid", 8, 2);
    assertThat(attacked.sim().maliciousClients()).hasSize(3);
    RoundRecord last = attacked.result().history().last().orElseThrow();
    assertThat(last.metric("malicious_selected")).isEqualTo(3);
    assertThat(last.metric("malicious_flagged")).isZero(); // FedAvg flags no one
    assertThat(honest.result().history().last().orElseThrow().metric("test_accuracy")).isGreaterThan(0.85);
    assertThat(last.metric("test_accuracy")).isLessThan(0.5);
  }

  @Test
  void stragglersDropped_recordedAsUnavailable() {
    Run r = run(new Adversity(new Attack.None(), 0, 0.5, true), new FedAvg(), "iid", 6, 3);
    long dropped = r.result().history().rounds().stream().flatMap(x -> x.failures().stream())
        .filter(f -> f.code() == ErrorCode.UNAVAILABLE && f.reason().contains("straggler")).count();
    assertThat(dropped).isBetween(15L, 45L); // 60 client-rounds at p = 0.5
  }

  @Test
  void stragglersKept_trainFewerEpochs() {
    Run full = run(Adversity.none(), new FedAvg(), "iid", 4, 5);
    Run partial = run(new Adversity(new Attack.None(), 0, 1.0, false), new FedAvg(), "iid", 4, 5);
    long fullSamples = full.sim().trainingStats().samples();
    long partialSamples = partial.sim().trainingStats().samples();
    // Every client straggles and runs 1..4 of 5 epochs: on average 2.5/5 of the work.
    assertThat(partialSamples).isLessThan(fullSamples * 7 / 10).isGreaterThan(fullSamples / 5);
    assertThat(partial.result().history().rounds()).allMatch(x -> x.failures().isEmpty());
  }

  @Test
  void scaffold_inSimulation_learnsOnPathologicalSplit() {
    Run r = run(Adversity.none(), new Scaffold(), "shards:2", 15, 2);
    assertThat(r.result().history().last().orElseThrow().metric("test_accuracy")).isGreaterThan(0.85);
  }
}
