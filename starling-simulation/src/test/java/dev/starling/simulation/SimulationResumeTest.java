package dev.starling.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.compression.Codecs;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.server.CheckpointStore;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.RunState;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.FedAdam;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.PositionwiseFedAvg;
import dev.starling.strategy.Scaffold;
import dev.starling.strategy.Strategy;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A simulation checkpointed after round 3 and resumed to round 6 is bit-for-bit the simulation run to
 * round 6 in one go: final model and every round's metrics, for strategies and clients with state.
 */
class SimulationResumeTest {
  private static LoadedData digits;

  @TempDir
  Path dir;

  @BeforeAll
  static void load() throws IOException {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static SimulationConfig config(long seed, Communication comm, SubModelConfig sub) {
    return new SimulationConfig(ModelSpec.parse("mlp:16"), Partitioners.parse("dirichlet:0.5"), 8, 0.1, 2, false, seed,
        Adversity.none(), comm, sub);
  }

  private static RoundLoopConfig loop(int rounds) {
    return RoundLoopConfig.builder().rounds(rounds).fractionFit(0.5)
        .trainDefaults(TrainConfig.builder().localEpochs(1).batchSize(16).learningRate(0.05).build()).build();
  }

  private static RoundLoop.Result run(SimulationConfig cfg, Strategy s, int rounds, CheckpointStore store, RunState from) {
    try (Simulation sim = new Simulation(cfg, digits.train(), digits.test())) {
      return sim.run(s, loop(rounds), RoundListener.NONE, store, from);
    }
  }

  /** Runs 6 rounds in one go and 3 + resume to 6, and asserts both are the same run. */
  private void assertResumeIsBitForBit(SimulationConfig cfg, Supplier<Strategy> strategy) {
    RoundLoop.Result whole = run(cfg, strategy.get(), 6, null, null);
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    run(cfg, strategy.get(), 3, store, null);
    RunState at3 = store.latest().orElseThrow();
    assertThat(at3.round()).isEqualTo(3);
    RoundLoop.Result resumed = run(cfg, strategy.get(), 6, store, at3);
    assertSameRun(resumed, whole);
    assertThat(store.latest().orElseThrow().round()).isEqualTo(6);
  }

  private static void assertSameRun(RoundLoop.Result actual, RoundLoop.Result expected) {
    assertThat(actual.global().flatten()).containsExactly(expected.global().flatten());
    List<RoundRecord> a = actual.history().rounds();
    List<RoundRecord> e = expected.history().rounds();
    assertThat(a).hasSameSizeAs(e);
    for (int i = 0; i < a.size(); i++) {
      assertThat(a.get(i).metrics().asMap()).as("metrics of round %d", i + 1).isEqualTo(e.get(i).metrics().asMap());
      assertThat(a.get(i).failures()).isEqualTo(e.get(i).failures());
      assertThat(a.get(i).bytesUp()).isEqualTo(e.get(i).bytesUp());
    }
  }

  @Test
  void scaffold_clientControlVariatesAreCheckpointed() {
    assertResumeIsBitForBit(config(3, Communication.none(), null), Scaffold::new);
  }

  @Test
  void errorFeedbackResiduals_andFedAdamMoments_areCheckpointed() {
    Communication ef = new Communication(Codecs.parse("topk:0.05"), true, Codecs.parse("fp16"));
    assertResumeIsBitForBit(config(4, ef, null), FedAdam::new);
  }

  @Test
  void subModelBookkeeping_isCheckpointed() {
    SubModelConfig sub = new SubModelConfig(new NeuronPolicy.FederatedDropout(), 0.5, 0.75, 2, 0, 0, 1e-5, 5, true);
    assertResumeIsBitForBit(config(5, Communication.none(), sub), PositionwiseFedAvg::new);
  }

  @Test
  void withoutTheClientStates_theResumedScaffoldRunDiffers() {
    // guards the tests above: SCAFFOLD's client control variates do change the result
    SimulationConfig cfg = config(3, Communication.none(), null);
    RoundLoop.Result whole = run(cfg, new Scaffold(), 6, null, null);
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    run(cfg, new Scaffold(), 3, store, null);
    RunState at3 = store.latest().orElseThrow();
    assertThat(at3.clientStates()).isNotEmpty();
    RunState stripped = new RunState(at3.round(), at3.global(), at3.strategyState(), at3.history(), at3.clients(),
        at3.metadata(), Map.of());
    RoundLoop.Result resumed = run(cfg, new Scaffold(), 6, null, stripped);
    assertThat(resumed.global().flatten()).isNotEqualTo(whole.global().flatten());
  }

  @Test
  void checkpointOfAnotherRun_isRefusedNamingWhatDiffers() {
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    run(config(3, Communication.none(), null), new FedAvg(), 2, store, null);
    RunState at2 = store.latest().orElseThrow();
    assertThatThrownBy(() -> run(config(9, Communication.none(), null), new FedAvg(), 4, store, at2))
        .isInstanceOf(FlException.class).hasMessageContaining("seed is '3' in the checkpoint but '9' now");
  }
}
