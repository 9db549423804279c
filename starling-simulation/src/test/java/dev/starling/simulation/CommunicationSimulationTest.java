package dev.starling.simulation;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.compression.Codecs;
import dev.starling.core.learner.TrainConfig;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.PositionwiseFedAvg;
import dev.starling.strategy.Strategy;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Codecs and sub-models inside a simulation, on the bundled digits. */
class CommunicationSimulationTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws IOException {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RoundLoop.Result run(Communication comm, SubModelConfig sub, Strategy s, int rounds, int threads) {
    SimulationConfig cfg = new SimulationConfig(ModelSpec.parse("mlp:32"), Partitioners.parse("iid"), 10, 0, threads, false, 5,
        Adversity.none(), comm, sub);
    RoundLoopConfig loop = RoundLoopConfig.builder().rounds(rounds).fractionFit(0.5)
        .trainDefaults(TrainConfig.builder().localEpochs(2).batchSize(16).learningRate(0.1).build()).build();
    try (Simulation sim = new Simulation(cfg, digits.train(), digits.test())) {
      return sim.run(s, loop, RoundListener.NONE);
    }
  }

  private static double lastAccuracy(RoundLoop.Result r) {
    return r.history().rounds().get(r.history().rounds().size() - 1).metric("test_accuracy");
  }

  private static long bytesUp(RoundLoop.Result r) {
    return r.history().rounds().stream().mapToLong(RoundRecord::bytesUp).sum();
  }

  @Test
  void int8Uplink_quarterTheBytesSameAccuracyAndReproducible() {
    Communication int8 = new Communication(Codecs.parse("int8"), false, Codecs.parse("none"));
    RoundLoop.Result raw = run(Communication.none(), null, new FedAvg(), 12, 2);
    RoundLoop.Result q = run(int8, null, new FedAvg(), 12, 2);
    RoundLoop.Result q1 = run(int8, null, new FedAvg(), 12, 1);
    assertThat((double) bytesUp(q) / bytesUp(raw)).isBetween(0.25, 0.27);
    assertThat(lastAccuracy(q)).isGreaterThan(0.9).isCloseTo(lastAccuracy(raw), org.assertj.core.data.Offset.offset(0.03));
    assertThat(q1.global().flatten()).containsExactly(q.global().flatten());
  }

  @Test
  void topOnePercent_errorFeedbackLearnsFasterThanWithout() {
    RoundLoop.Result plain = run(new Communication(Codecs.parse("topk:0.01"), false, Codecs.parse("none")), null, new FedAvg(), 30, 2);
    RoundLoop.Result ef = run(new Communication(Codecs.parse("topk:0.01"), true, Codecs.parse("none")), null, new FedAvg(), 30, 2);
    assertThat((double) bytesUp(ef) / bytesUp(plain)).isBetween(0.98, 1.02); // same k; position gaps vary
    assertThat(lastAccuracy(ef)).isGreaterThan(lastAccuracy(plain) + 0.05);
  }

  @Test
  void fp16Downlink_halvesDownlinkBytes() {
    RoundLoop.Result raw = run(Communication.none(), null, new FedAvg(), 3, 2);
    RoundLoop.Result h = run(new Communication(Codecs.parse("none"), false, Codecs.parse("fp16")), null, new FedAvg(), 3, 2);
    long rawDown = raw.history().rounds().stream().mapToLong(RoundRecord::bytesDown).sum();
    long down = h.history().rounds().stream().mapToLong(RoundRecord::bytesDown).sum();
    assertThat((double) down / rawDown).isBetween(0.49, 0.51);
  }

  @Test
  void fisherDropout_halfTheUplinkAndStillLearns() {
    SubModelConfig sub = new SubModelConfig(new NeuronPolicy.Fisher(256), 0.5, 0.5, 5, 0, 0, 1e-5, 5, true);
    RoundLoop.Result raw = run(Communication.none(), null, new FedAvg(), 20, 2);
    RoundLoop.Result f = run(Communication.none(), sub, new PositionwiseFedAvg(), 20, 2);
    assertThat((double) bytesUp(f) / bytesUp(raw)).isBetween(0.45, 0.55);
    assertThat(lastAccuracy(f)).isGreaterThan(0.85);
    RoundRecord last = f.history().rounds().get(f.history().rounds().size() - 1);
    assertThat(last.metric("mean_trained_fraction")).isBetween(0.45, 0.55);
  }
}
