package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.api.FuzzedDataProvider;
import com.code_intelligence.jazzer.junit.FuzzTest;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.FitOutcome;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.wire.Outbox;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import org.junit.jupiter.api.AfterAll;

/**
 * Coverage-guided fuzzing of the server's handling of client messages (Jazzer): arbitrary bytes parsed as
 * {@link ClientMessage}s go, in order, into {@link RemoteClient#onMessage} of a client that holds one open
 * training task (messages that name a task are readdressed to it, else nothing would get past the task
 * lookup). This is the path every byte a client sends takes: update headers, float chunks, encoded slices,
 * masked-input protocol messages, failures. A normal build replays every input under
 * {@code src/test/resources/dev/starling/transport/grpc/server/ClientMessageFuzzTestInputs/intoServer/};
 * {@code ./mvnw -Pfuzz -pl starling-transport-grpc -am verify} fuzzes it for a bounded time. The property:
 * {@code onMessage} never throws, and if the task completes with an update, the update has the model's
 * tensor names and shapes and only finite values.
 */
class ClientMessageFuzzTest {
  private static final FederationServer SERVER = new FederationServer(new ServerSettings("127.0.0.1", 0,
      Optional.empty(), Map.of(), Duration.ofHours(1), 1000, 1L << 16, 2, Duration.ofMinutes(1), "fuzz", "fedavg",
      "mlp:2", Duration.ofSeconds(10), Duration.ofMinutes(1)), new ManualTicker());
  private static final ParameterSet GLOBAL = ParameterSet.of(List.of(Tensor.of("w", new float[6], 3, 2),
      Tensor.of("b", new float[2], 2)));
  private static final TrainConfig CONFIG = TrainConfig.builder().round(1).build();

  @AfterAll
  static void close() {
    SERVER.close();
  }

  @FuzzTest(maxDuration = "60s")
  void intoServer(FuzzedDataProvider data) throws InterruptedException {
    try (Outbox<ServerMessage> out = new Outbox<>(new NullServerStream(), ServerMessage::getSerializedSize, "fuzz-outbox")) {
      RemoteClient client = new RemoteClient(new ClientId("fuzz"), out, SERVER, List.of("codec/1"));
      CompletableFuture<FitOutcome> fit = client.fit(GLOBAL, CONFIG);
      long task = client.openTasks().iterator().next();
      while (data.remainingBytes() > 0) {
        byte[] bytes = data.consumeBytes(data.consumeInt(0, 4096));
        ClientMessage m;
        try {
          m = ClientMessage.parseFrom(bytes);
        } catch (InvalidProtocolBufferException e) {
          continue;
        }
        client.onMessage(readdress(m, task));
      }
      if (fit.isDone() && !fit.isCompletedExceptionally() && !fit.isCancelled()) {
        ParameterSet p = fit.get().result().parameters();
        assertThat(p.names()).isEqualTo(GLOBAL.names());
        for (Tensor t : p) {
          assertThat(t.shape()).isEqualTo(GLOBAL.get(t.name()).shape());
          for (float v : t.data()) {
            assertThat(Float.isFinite(v)).as("finite update value").isTrue();
          }
        }
      }
    } catch (ExecutionException e) {
      throw new AssertionError(e);
    }
  }

  private static ClientMessage readdress(ClientMessage m, long task) {
    ClientMessage.Builder b = m.toBuilder();
    switch (m.getBodyCase()) {
      case UPDATE_HEADER -> b.getUpdateHeaderBuilder().setTaskId(task);
      case CHUNK -> b.getChunkBuilder().setTaskId(task);
      case UPDATE_END -> b.getUpdateEndBuilder().setTaskId(task);
      case PROTOCOL -> b.getProtocolBuilder().setTaskId(task);
      case TASK_FAILED -> b.getTaskFailedBuilder().setTaskId(task);
      case EVAL_REPLY -> b.getEvalReplyBuilder().setTaskId(task);
      default -> { }
    }
    return b.build();
  }
}
