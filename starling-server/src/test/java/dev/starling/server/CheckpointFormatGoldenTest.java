package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.ClientVerdict;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/**
 * Checkpoint files written by earlier builds stay readable: {@code golden/checkpoint-v2.ckpt} was written by
 * the format-2 build (before client states), {@code golden/checkpoint-v3.ckpt} by the format-3 build, both
 * from {@link #expected}; {@code golden/checkpoint-v4.ckpt} by the format-4 build from {@link #expected} with
 * {@link #ASYNC} (an asynchronous run's buffer). A format change that breaks any fails here; a new version adds
 * a golden file.
 */
class CheckpointFormatGoldenTest {
  private static final ParameterSet GLOBAL = ParameterSet.of(
      Tensor.of("layer0.w", new float[] {1.5f, -2.25f, 0f, 3e38f, Float.MIN_VALUE, -0f}, 2, 3),
      Tensor.of("layer0.b", new float[] {0.125f, -1f}, 2));
  private static final ParameterSet STRATEGY = ParameterSet.of(
      Tensor.of("scaffold.control/layer0.w", new float[] {0.5f, 0.25f, -0.125f, 1f, 2f, 4f}, 2, 3));
  private static final Map<String, ParameterSet> CLIENT_STATES = Map.of(
      "client-1", ParameterSet.of(Tensor.of("scaffold.client-control/layer0.b", new float[] {0.5f, -0.5f}, 2)),
      "client-3", ParameterSet.of(Tensor.of("compression.residual/residual", new float[] {1e-3f, 2e-3f, 3e-3f}, 3)));

  private static final AsyncState ASYNC = new AsyncState(7, 12.5, 31, 15.0, List.of(
      new AsyncState.Buffered("client-3", 5, 40, 3, Metrics.of("train_loss", 0.25),
          ParameterSet.of(Tensor.of("layer0.b", new float[] {0.5f, 0.75f}, 2))),
      new AsyncState.Buffered("client-1", 7, 12, 1, Metrics.builder().put("train_loss", 1).put("train_accuracy", 0.5).build(),
          ParameterSet.of(Tensor.of("layer0.b", new float[] {-1f, 2f}, 2)))),
      Map.of(5, ParameterSet.of(Tensor.of("layer0.b", new float[] {0.25f, 0.5f}, 2))));

  private static RunState expected(Map<String, ParameterSet> clientStates) {
    return expected(clientStates, Optional.empty());
  }

  private static RunState expected(Map<String, ParameterSet> clientStates, Optional<AsyncState> async) {
    RoundRecord r1 = new RoundRecord(1, Metrics.builder().put("train_loss", 0.75).put("test_accuracy", 0.5).build(), 3, 2,
        List.of(new ClientFailure(new ClientId("client-2"), ErrorCode.DEADLINE_EXCEEDED, "late")), 1000, 2000, 1.5,
        List.of(new ClientVerdict(new ClientId("client-1"), ClientVerdict.Action.CLIPPED, 0.5, "NormBound(1)")), "");
    RoundRecord r2 = new RoundRecord(2, Metrics.of("round_failed", 1), 3, 0, List.of(), 10, 20, 0.25, List.of(),
        "0 of 3 updates accepted");
    return new RunState(2, GLOBAL, STRATEGY, List.of(r1, r2), List.of("client-1", "client-2", "client-3"),
        Map.of("model", "logreg", "seed", "7"), clientStates, async);
  }

  private static byte[] golden(String name) throws IOException {
    try (InputStream in = CheckpointFormatGoldenTest.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in).as(name).isNotNull();
      return in.readAllBytes();
    }
  }

  private static void assertState(RunState actual, RunState want) {
    assertThat(actual.round()).isEqualTo(want.round());
    assertThat(actual.global()).isEqualTo(want.global());
    assertThat(actual.global().get("layer0.w").data()).containsExactly(want.global().get("layer0.w").data());
    assertThat(actual.strategyState()).isEqualTo(want.strategyState());
    assertThat(actual.history()).isEqualTo(want.history());
    assertThat(actual.clients()).isEqualTo(want.clients());
    assertThat(actual.metadata()).isEqualTo(want.metadata());
    assertThat(actual.clientStates()).isEqualTo(want.clientStates());
    assertThat(actual.async()).isEqualTo(want.async());
  }

  @Test
  void version2File_readsWithNoClientStates() throws IOException {
    RunState s = CheckpointStore.decode(new ByteArrayInputStream(golden("checkpoint-v2.ckpt")), "v2");
    assertState(s, expected(Map.of()));
  }

  @Test
  void version3File_readsWithClientStates() throws IOException {
    RunState s = CheckpointStore.decode(new ByteArrayInputStream(golden("checkpoint-v3.ckpt")), "v3");
    assertState(s, expected(CLIENT_STATES));
  }

  @Test
  void version4File_readsWithTheAsynchronousSection() throws IOException {
    RunState s = CheckpointStore.decode(new ByteArrayInputStream(golden("checkpoint-v4.ckpt")), "v4");
    assertState(s, expected(CLIENT_STATES, Optional.of(ASYNC)));
    AsyncState a = s.async().orElseThrow();
    assertThat(a.buffer().get(0).parameters().get("layer0.b").data()).containsExactly(0.5f, 0.75f);
    assertThat(a.staleness(a.buffer().get(0))).isEqualTo(2);
    assertThat(a.models().get(5).get("layer0.b").data()).containsExactly(0.25f, 0.5f);
  }

  @Test
  void currentEncoder_writesTheVersion4GoldenBytes() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointStore.encode(expected(CLIENT_STATES, Optional.of(ASYNC)), out);
    assertThat(CheckpointStore.VERSION).isEqualTo(4);
    assertThat(out.toByteArray()).isEqualTo(golden("checkpoint-v4.ckpt"));
  }

  @Test
  void currentEncoder_synchronousState_roundTripsWithNoAsynchronousSection() throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointStore.encode(expected(CLIENT_STATES), out);
    byte[] v3 = golden("checkpoint-v3.ckpt");
    // the version 3 layout plus one byte (no asynchronous section), under version 4
    assertThat(out.size()).isEqualTo(v3.length + 1);
    assertState(CheckpointStore.decode(new ByteArrayInputStream(out.toByteArray()), "mem"), expected(CLIENT_STATES));
  }

  @Test
  void aStateWhoseBufferReferencesAnUnkeptModel_isRefused() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new AsyncState(7, 0, 0, 0, ASYNC.buffer(), Map.of()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("client-3")
        .hasMessageContaining("model version 5, whose model is not kept");
  }

  @Test
  void clientStates_roundTripThroughClientStateSnapshots() throws IOException {
    dev.starling.core.learner.ClientState cs = new dev.starling.core.learner.ClientState();
    cs.put(new dev.starling.core.message.AttachmentKey("scaffold.client-control"),
        ParameterSet.of(Tensor.of("layer0.b", new float[] {0.5f, -0.5f}, 2)));
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointStore.encode(expected(Map.of("client-1", cs.snapshot())), out);
    RunState back = CheckpointStore.decode(new ByteArrayInputStream(out.toByteArray()), "mem");
    dev.starling.core.learner.ClientState restored = new dev.starling.core.learner.ClientState();
    restored.restore(back.clientStates().get("client-1"));
    assertThat(restored.get(new dev.starling.core.message.AttachmentKey("scaffold.client-control")).orElseThrow().get("layer0.b")
        .data()).containsExactly(0.5f, -0.5f);
  }
}
