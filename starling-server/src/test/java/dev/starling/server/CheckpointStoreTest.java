package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.FedAdam;
import dev.starling.strategy.Scaffold;
import dev.starling.strategy.Strategy;
import dev.starling.testkit.TestParameters;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CheckpointStoreTest {
  @TempDir
  Path dir;

  private static RunState state(int round) {
    ParameterSet g = ParameterSet.of(Tensor.of("w", new float[] {round, -1.5f, Float.MIN_VALUE, 3e38f}, 2, 2));
    ParameterSet s = ParameterSet.of(Tensor.of("server-opt.0.0", new float[] {0.25f * round}, 1));
    RoundRecord rec = new RoundRecord(round, Metrics.builder().put("train_loss", 0.5).put("test_accuracy", 0.9).build(),
        3, 2, List.of(new ClientFailure(new ClientId("c2"), ErrorCode.DEADLINE_EXCEEDED, "late, \u00e9")), 100, 200,
        1.25, List.of(new ClientVerdict(new ClientId("c1"), ClientVerdict.Action.CLIPPED, 0.5, "NormBound(1)")));
    List<RoundRecord> history = new ArrayList<>();
    for (int r = 1; r <= round; r++) {
      history.add(new RoundRecord(r, rec.metrics(), 3, 2, rec.failures(), 100, 200, 1.25, rec.verdicts()));
    }
    return new RunState(round, g, s, history, List.of("c1", "c2", "c3"), Map.of("model", "mlp:32", "seed", "7"));
  }

  private static void assertSame(RunState a, RunState b) {
    assertThat(b.round()).isEqualTo(a.round());
    assertThat(b.global()).isEqualTo(a.global());
    assertThat(b.strategyState()).isEqualTo(a.strategyState());
    assertThat(b.history()).isEqualTo(a.history());
    assertThat(b.clients()).isEqualTo(a.clients());
    assertThat(b.metadata()).isEqualTo(a.metadata());
  }

  @Test
  void roundTripRestoresEverything() throws IOException {
    CheckpointStore store = new CheckpointStore(dir);
    Path f = store.write(state(3));
    assertSame(state(3), CheckpointStore.read(f));
    assertSame(state(3), store.latest().orElseThrow());
  }

  @Test
  void keepsTheLastTwoAndLeavesNoTemporaryFiles() throws IOException {
    CheckpointStore store = new CheckpointStore(dir);
    for (int r = 1; r <= 5; r++) {
      store.write(state(r));
    }
    try (var s = Files.list(dir)) {
      assertThat(s.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("checkpoint-000004.ckpt", "checkpoint-000005.ckpt");
    }
    assertThat(store.latest().orElseThrow().round()).isEqualTo(5);
  }

  @Test
  void tornLatestFileIsDetectedAndThePreviousOneUsed() throws IOException {
    CheckpointStore store = new CheckpointStore(dir);
    store.write(state(1));
    Path latest = store.write(state(2));
    byte[] all = Files.readAllBytes(latest);
    Files.write(latest, java.util.Arrays.copyOf(all, all.length / 2), StandardOpenOption.TRUNCATE_EXISTING);
    assertThatThrownBy(() -> CheckpointStore.read(latest)).isInstanceOf(FlException.class).hasMessageContaining("truncated");
    assertSame(state(1), store.latest().orElseThrow());
  }

  @Test
  void flippedByteIsCaughtByTheChecksum() throws IOException {
    CheckpointStore store = new CheckpointStore(dir);
    store.write(state(1));
    Path latest = store.write(state(2));
    byte[] all = Files.readAllBytes(latest);
    all[all.length - 14] ^= 0x10; // inside the last float of the strategy state (then the client-state count, the
    // asynchronous-section flag, the CRC)
    Files.write(latest, all);
    assertThatThrownBy(() -> CheckpointStore.read(latest)).hasMessageContaining("CRC mismatch");
    assertThat(store.latest().orElseThrow().round()).isEqualTo(1);
  }

  private static RunState asyncState(int round) {
    RunState s = state(round);
    ParameterSet start = ParameterSet.of(Tensor.of("w", new float[] {0.5f, 1, 2, round}, 2, 2));
    AsyncState a = new AsyncState(round, 10.0 * round, 3L * round, 12.5, List.of(
        new AsyncState.Buffered("c3", round - 1, 20, 2, Metrics.of("train_loss", 0.75),
            ParameterSet.of(Tensor.of("w", new float[] {1, 2, 3, round}, 2, 2)))), Map.of(round - 1, start));
    return new RunState(s.round(), s.global(), s.strategyState(), s.history(), s.clients(), s.metadata(),
        s.clientStates(), java.util.Optional.of(a));
  }

  @Test
  void asynchronousSection_roundTrips_andACorruptOrTornVersion4FileFallsBackToThePreviousOne() throws IOException {
    CheckpointStore store = new CheckpointStore(dir);
    store.write(asyncState(1));
    Path latest = store.write(asyncState(2));
    RunState back = CheckpointStore.read(latest);
    assertSame(asyncState(2), back);
    assertThat(back.async()).isEqualTo(asyncState(2).async());

    byte[] good = Files.readAllBytes(latest);
    byte[] flipped = good.clone();
    flipped[good.length - 9 - 4] ^= 0x01; // the buffered update's last float, just before the CRC
    Files.write(latest, flipped);
    assertThatThrownBy(() -> CheckpointStore.read(latest)).hasMessageContaining("CRC mismatch");
    RunState fallback = store.latest().orElseThrow();
    assertThat(fallback.round()).isEqualTo(1);
    assertThat(fallback.async()).isEqualTo(asyncState(1).async());

    Files.write(latest, java.util.Arrays.copyOf(good, good.length - 20), StandardOpenOption.TRUNCATE_EXISTING);
    assertThatThrownBy(() -> CheckpointStore.read(latest)).hasMessageContaining("truncated");
    assertThat(store.latest().orElseThrow().async()).isEqualTo(asyncState(1).async());
  }

  @Test
  void latest_noCheckpoint_startsFresh() throws IOException {
    assertThat(new CheckpointStore(dir.resolve("none")).latest()).isEmpty();
    Files.writeString(dir.resolve("notes.txt"), "not a checkpoint");
    assertThat(new CheckpointStore(dir).latest()).isEmpty();
  }

  @Test
  void latest_everyCheckpointCorrupt_refusesNamingEachFile() throws IOException {
    Files.writeString(dir.resolve("checkpoint-000009.ckpt"), "garbage");
    Files.writeString(dir.resolve("checkpoint-000008.ckpt"), "STRLCKPTmore garbage");
    CheckpointStore store = new CheckpointStore(dir);
    assertThatThrownBy(store::latest).isInstanceOf(FlException.class)
        .hasMessageContaining("none of the 2 checkpoint files")
        .hasMessageContaining("checkpoint-000009.ckpt (").hasMessageContaining("checkpoint-000008.ckpt (")
        .hasMessageContaining("privacy budget");
    assertThat(store.checkpoints()).hasSize(2); // refusing touches nothing
  }

  @Test
  void latest_everyCheckpointCorruptAndStartOverAsked_movesThemAsideAndStartsFresh() throws IOException {
    Files.writeString(dir.resolve("checkpoint-000009.ckpt"), "garbage");
    CheckpointStore store = new CheckpointStore(dir);
    assertThat(store.latest(CheckpointStore.IfNoneReadable.START_OVER)).isEmpty();
    assertThat(store.checkpoints()).isEmpty();
    assertThat(dir.resolve("checkpoint-000009.ckpt.corrupt")).hasContent("garbage");
    assertThat(store.latest()).isEmpty(); // the next start is a plain fresh start
  }

  @Test
  void roundRecordFailureReason_survivesTheCheckpoint() throws IOException {
    RoundRecord failed = new RoundRecord(1, Metrics.of("round_failed", 1), 3, 3, List.of(), 1, 2, 0.5, List.of(),
        "the aggregated global model is not finite");
    RunState s = new RunState(1, TestParameters.random(2, 2, 1), ParameterSet.of(), List.of(failed), List.of(), Map.of());
    Path f = new CheckpointStore(dir).write(s);
    RoundRecord back = CheckpointStore.read(f).history().get(0);
    assertThat(back.failureReason()).isEqualTo("the aggregated global model is not finite");
    assertThat(back.committed()).isFalse();
  }

  // --- resume through the round loop ---

  /** Clients whose update depends on (global, round, client): deterministic, so runs can be compared. */
  private static ClientPool clients() {
    List<ClientProxy> out = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      int idx = i;
      out.add(new ClientProxy() {
        @Override
        public ClientId id() {
          return ClientId.ofIndex(idx);
        }

        @Override
        public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
          ParameterSet p = global.map(t -> {
            float[] d = t.data().clone();
            for (int k = 0; k < d.length; k++) {
              d[k] = d[k] * 0.9f + (idx + 1) * 0.1f + (config.seed() % 7) * 0.01f;
            }
            return Tensor.of(t.name(), d, t.shape());
          });
          return CompletableFuture.completedFuture(new FitOutcome(new TrainResult(p, 10 + idx, 1, Metrics.of("loss", idx)), 1, 1));
        }

        @Override
        public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
          return CompletableFuture.completedFuture(new EvalResult(1, Metrics.of("loss", 1)));
        }
      });
    }
    return ClientPool.of(out);
  }

  private static RoundLoopConfig config(int rounds) {
    return RoundLoopConfig.builder().rounds(rounds).fractionFit(0.5).minFitClients(2).seed(11)
        .roundTimeout(Duration.ofSeconds(5)).build();
  }

  private void resumeIsBitForBit(Supplier<Strategy> strategies) {
    ParameterSet init = TestParameters.random(3, 4, 5);
    RoundLoop.Result straight = new RoundLoop(strategies.get(), clients(), config(5), RoundListener.NONE).run(init);

    CheckpointStore store = new CheckpointStore(dir);
    Strategy first = strategies.get();
    new RoundLoop(first, clients(), config(3), new Checkpointer(store, first, () -> Set.of("c000000"), Map.of()))
        .run(init);
    RunState saved = store.latest().orElseThrow();
    assertThat(saved.round()).isEqualTo(3);
    assertThat(saved.history()).hasSize(3);
    RoundLoop.Result resumed = new RoundLoop(strategies.get(), clients(), config(5), RoundListener.NONE).run(init, saved);

    assertThat(resumed.global()).isEqualTo(straight.global());
    assertThat(resumed.history().rounds()).hasSize(5);
    assertThat(resumed.history().rounds().get(4).metrics()).isEqualTo(straight.history().rounds().get(4).metrics());
  }

  @Test
  void fedAdamResumesWithItsMomentsBitForBit() {
    resumeIsBitForBit(FedAdam::new);
    // and the state is not trivially empty
    FedAdam a = new FedAdam();
    new RoundLoop(a, clients(), config(2), RoundListener.NONE).run(TestParameters.random(3, 4, 5));
    assertThat(a.saveState().count()).isGreaterThan(0);
  }

  @Test
  void scaffoldResumesWithItsControlVariateBitForBit() {
    resumeIsBitForBit(Scaffold::new);
  }

  @Test
  void losingOptimiserStateWouldChangeTheResult() {
    // guards the test above: without restoring FedAdam's moments the resumed run differs
    ParameterSet init = TestParameters.random(3, 4, 5);
    RoundLoop.Result straight = new RoundLoop(new FedAdam(), clients(), config(5), RoundListener.NONE).run(init);
    CheckpointStore store = new CheckpointStore(dir);
    FedAdam first = new FedAdam();
    new RoundLoop(first, clients(), config(3), new Checkpointer(store, first, Set::of, Map.of())).run(init);
    RunState saved = store.latest().orElseThrow();
    RunState amnesia = new RunState(saved.round(), saved.global(), ParameterSet.of(), saved.history(), saved.clients(),
        saved.metadata());
    RoundLoop.Result resumed = new RoundLoop(new FedAdam(), clients(), config(5), RoundListener.NONE).run(init, amnesia);
    assertThat(resumed.global()).isNotEqualTo(straight.global());
  }
}
