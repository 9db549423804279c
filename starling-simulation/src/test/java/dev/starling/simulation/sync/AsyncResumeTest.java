package dev.starling.simulation.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.server.AsyncState;
import dev.starling.server.CheckpointStore;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.RunState;
import dev.starling.server.sync.AsyncDriver;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.clock.ClientClock;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.FedAdam;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Checkpoints of a {@code buffered:3} simulation (FedAdam, so the strategy has state) taken after aggregation 5,
 * resumed to aggregation 10. What is guaranteed: the checkpoint keeps the model version, the simulated clock, the
 * jobs count and the update buffer; the resumed run continues the history, the version and the clock from them;
 * resuming one checkpoint twice gives the same run bit for bit. The resumed run is not the uninterrupted one: the
 * jobs in flight at the checkpoint are lost and their clients given new work, so only its accuracy is compared.
 */
class AsyncResumeTest {
  private static final ClientClock HETEROGENEOUS = ClientClock.parse("lognormal:6,1", "lognormal:1,0.5/0.05", 0.2, 10);
  private static final SyncPolicy BUFFERED = SyncPolicy.parse("buffered:3");
  private static LoadedData digits;

  @TempDir
  Path dir;

  @BeforeAll
  static void load() throws IOException {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RoundLoop.Result run(SyncPolicy policy, int rounds, CheckpointStore store, RunState from) {
    SimulationConfig cfg = new SimulationConfig(ModelSpec.parse("mlp:16"), Partitioners.parse("dirichlet:0.5"), 12, 0,
        2, false, 11, Adversity.none(), Communication.none(), null, HETEROGENEOUS);
    RoundLoopConfig loop = RoundLoopConfig.builder().rounds(rounds).fractionFit(0.3).roundTimeout(Duration.ofMinutes(5))
        .trainDefaults(TrainConfig.builder().localEpochs(1).batchSize(16).learningRate(0.1).build()).build();
    try (Simulation sim = new Simulation(cfg, digits.train(), digits.test())) {
      return policy.synchronous() ? sim.run(new FedAdam(), loop, RoundListener.NONE, store, from)
          : sim.runAsync(new FedAdam(), loop, policy, new AsyncDriver.Settings(4, OptionalInt.empty()), RoundListener.NONE,
              store, from);
    }
  }

  private static void assertSameRun(RoundLoop.Result a, RoundLoop.Result b) {
    assertThat(a.global().flatten()).containsExactly(b.global().flatten());
    List<RoundRecord> ra = a.history().rounds();
    List<RoundRecord> rb = b.history().rounds();
    assertThat(ra).hasSameSizeAs(rb);
    for (int i = 0; i < ra.size(); i++) {
      assertThat(ra.get(i).metrics()).as("metrics of aggregation %d", i + 1).isEqualTo(rb.get(i).metrics());
      assertThat(ra.get(i).bytesUp()).isEqualTo(rb.get(i).bytesUp());
    }
  }

  @Test
  void buffered_checkpointKeepsVersionClockAndBuffer_andTheResumedRunContinuesThem() {
    RoundLoop.Result whole = run(BUFFERED, 10, null, null);
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    RoundLoop.Result first = run(BUFFERED, 5, store, null);
    RunState at5 = store.latest().orElseThrow();
    AsyncState a = at5.async().orElseThrow();
    assertThat(at5.round()).isEqualTo(5);
    assertThat(at5.global().flatten()).containsExactly(first.global().flatten());
    assertThat(a.modelVersion()).isEqualTo(5);
    assertThat(a.clockSeconds()).isEqualTo(first.history().rounds().get(4).metric("sim_seconds"));
    assertThat(a.jobs()).isGreaterThanOrEqualTo(5 * 3);
    // every aggregation of buffered:K applies the whole buffer: at the boundary it is empty
    assertThat(a.buffer()).isEmpty();
    assertThat(at5.strategyState().count()).isPositive(); // FedAdam's moments
    assertThat(at5.metadata()).containsEntry("sync", "buffered:3,1.0");
    // checkpointing does not perturb the run
    for (int i = 0; i < 5; i++) {
      assertThat(first.history().rounds().get(i).metrics()).isEqualTo(whole.history().rounds().get(i).metrics());
    }

    RoundLoop.Result resumed = run(BUFFERED, 10, store, at5);
    List<RoundRecord> r = resumed.history().rounds();
    assertThat(r).hasSize(10);
    assertThat(r.subList(0, 5)).isEqualTo(at5.history());
    for (int i = 5; i < 10; i++) {
      assertThat(r.get(i).round()).isEqualTo(i + 1);
      assertThat(r.get(i).metric("model_version")).isEqualTo(i + 1);
      assertThat(r.get(i).metric("sim_seconds")).isGreaterThan(a.clockSeconds());
    }
    assertThat(store.latest().orElseThrow().async().orElseThrow().modelVersion()).isEqualTo(10);
    // resuming the same checkpoint again is the same run, bit for bit
    assertSameRun(run(BUFFERED, 10, null, at5), resumed);
    // and it learns about as well as the uninterrupted run
    double wholeAcc = whole.history().rounds().get(9).metric("test_accuracy");
    double resumedAcc = r.get(9).metric("test_accuracy");
    assertThat(resumedAcc).isGreaterThan(0.5).isGreaterThan(wholeAcc - 0.1);
  }

  @Test
  void aBufferedUpdateInTheCheckpoint_joinsTheFirstAggregationAfterResume_withItsStaleness() {
    CheckpointStore store = new CheckpointStore(dir.resolve("ckpt"));
    run(BUFFERED, 5, store, null);
    RunState at5 = store.latest().orElseThrow();
    AsyncState a = at5.async().orElseThrow();
    ParameterSet older = affine(at5.global(), 0.9f, 0);
    AsyncState.Buffered held = new AsyncState.Buffered(at5.clients().get(0), 4, 40, 3, Metrics.of("train_loss", 0.5),
        affine(older, 1, 0.01f));
    AsyncState withBuffer = new AsyncState(a.modelVersion(), a.clockSeconds(), a.jobs(), a.nextEval(), List.of(held),
        Map.of(4, older));
    RunState from = new RunState(at5.round(), at5.global(), at5.strategyState(), at5.history(), at5.clients(),
        at5.metadata(), at5.clientStates(), Optional.of(withBuffer));
    store.write(from);
    RunState back = store.latest().orElseThrow();
    assertThat(back.async()).contains(withBuffer);

    RoundRecord sixth = run(BUFFERED, 6, null, back).history().rounds().get(5);
    // the held update (trained from version 4, one version stale) and two fresh arrivals
    assertThat(sixth.clientsSucceeded()).isEqualTo(3);
    assertThat(sixth.metric("staleness_max")).isEqualTo(1);
    assertThat(sixth.metric("staleness_mean")).isEqualTo(1.0 / 3);
  }

  private static ParameterSet affine(ParameterSet p, float mul, float add) {
    return p.map(t -> {
      float[] d = t.data().clone();
      for (int i = 0; i < d.length; i++) {
        d[i] = d[i] * mul + add;
      }
      return Tensor.of(t.name(), d, t.shape());
    });
  }

  @Test
  void aSynchronousRunsCheckpoint_isRefusedByAnAsynchronousMode_andAStrippedOneNamesWhatIsMissing() {
    CheckpointStore store = new CheckpointStore(dir.resolve("sync"));
    run(SyncPolicy.parse("sync"), 2, store, null);
    RunState sync = store.latest().orElseThrow();
    assertThat(sync.async()).isEmpty();
    assertThatThrownBy(() -> run(BUFFERED, 4, null, sync)).isInstanceOf(FlException.class)
        .hasMessageContaining("sync is 'sync' in the checkpoint but 'buffered:3,1.0' now");

    RunState noSync = new RunState(sync.round(), sync.global(), sync.strategyState(), sync.history(), sync.clients(),
        Map.of(), sync.clientStates());
    assertThatThrownBy(() -> run(BUFFERED, 4, null, noSync)).isInstanceOf(FlException.class)
        .hasMessageContaining("holds no asynchronous state")
        .satisfies(e -> assertThat(((FlException) e).code()).isEqualTo(ErrorCode.FAILED_PRECONDITION));
  }
}
