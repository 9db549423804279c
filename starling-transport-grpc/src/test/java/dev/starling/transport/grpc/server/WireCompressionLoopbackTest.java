package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.compression.CodecChain;
import dev.starling.compression.Codecs;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.Hello;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Uplink and downlink codecs on the real gRPC wire: encoded bytes, the server's exact model, error feedback. */
@Timeout(60)
class WireCompressionLoopbackTest {
  private static final int N = 20_000;
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private FederationServer server(WireCompression wire) {
    FederationServer s = new FederationServer(new ServerSettings("127.0.0.1", 0, Optional.empty(), Map.of(),
        Duration.ofMillis(500), 4096, 1L << 24, 2, Duration.ofSeconds(20), "test", "fedavg", "t"));
    if (wire != null) {
      s.compressTraffic(wire);
    }
    closeMe.add(s.start());
    return s;
  }

  private void client(FederationServer server, String id, Trainer t) {
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), id)
        .withGiveUpAfter(Duration.ofSeconds(20)), (m, s) -> t);
    closeMe.add(c);
    Thread th = Thread.ofPlatform().daemon().name("client-" + id).start(() -> {
      try {
        c.run();
      } catch (RuntimeException e) {
        // the test asserts on the server's records
      }
    });
    closeMe.add(th::interrupt);
  }

  /** A trainer adding {@code scale * sin(i)} to value i (a dense update with values of every magnitude). */
  private static Trainer wave(float scale) {
    return LoopbackFederationTest.custom((g, c) -> new TrainResult(g.map(t -> {
      float[] d = t.data().clone();
      for (int i = 0; i < d.length; i++) {
        d[i] += scale * (float) Math.sin(i);
      }
      return Tensor.of(t.name(), d, t.shape());
    }), 1, 1, Metrics.of(Metrics.LOSS, 0)));
  }

  private static ParameterSet initial() {
    float[] w = new float[N];
    for (int i = 0; i < N; i++) {
      w[i] = (i % 11) * 0.1f;
    }
    return ParameterSet.of(Tensor.of("w", w, N));
  }

  private record Run(ParameterSet global, List<RoundRecord> records) {
    long bytesUp() {
      return records.stream().mapToLong(RoundRecord::bytesUp).sum();
    }

    long bytesDown() {
      return records.stream().mapToLong(RoundRecord::bytesDown).sum();
    }
  }

  private Run run(FederationServer server, int rounds, int clients) {
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(),
        LoopbackFederationTest.loop(rounds, clients, Duration.ofSeconds(20)), new RoundListener() {
          @Override
          public void onRoundEnd(RoundRecord rec) {
            records.add(rec);
          }
        }).run(initial());
    assertThat(records).allSatisfy(rec -> assertThat(rec.clientsSucceeded()).as(rec.failures().toString()).isEqualTo(clients));
    return new Run(r.global(), records);
  }

  private static WireCompression wire(String up, boolean ef, String down) {
    return new WireCompression(Codecs.parse(up), ef, Codecs.parse(down), 7);
  }

  @Test
  void int8UplinkMovesAQuarterOfTheBytesAndStaysWithinOneQuantisationStep() {
    FederationServer plain = server(null);
    client(plain, "a", wave(0.5f));
    client(plain, "b", wave(-0.25f));
    Run raw = run(plain, 1, 2);

    FederationServer packed = server(wire("int8", false, "none"));
    client(packed, "a", wave(0.5f));
    client(packed, "b", wave(-0.25f));
    Run int8 = run(packed, 1, 2);

    double ratio = (double) int8.bytesUp() / raw.bytesUp();
    // 1 byte a value plus 8 bytes per block of 256 (lo, step), against 4 bytes a value
    assertThat(ratio).as("int8 bytes up / float32 bytes up").isBetween(0.25, 0.27);
    assertThat(int8.bytesDown()).as("downlink stays float32").isCloseTo(raw.bytesDown(), org.assertj.core.data.Percentage.withPercentage(1));
    float[] exact = raw.global().get("w").data();
    float[] got = int8.global().get("w").data();
    // each client's delta is within one step (range / 255 of its block) of the truth; the mean within the larger step
    float step = 2 * 0.5f / 255;
    double worst = 0;
    for (int i = 0; i < N; i++) {
      worst = Math.max(worst, Math.abs(got[i] - exact[i]));
    }
    assertThat(worst).isLessThanOrEqualTo(step * 1.01).isGreaterThan(0); // lossy, but bounded
  }

  @Test
  void downlinkIsEncodedOnceAndTheServerKeepsItsExactModel() {
    FederationServer server = server(wire("none", false, "int8"));
    List<float[]> received = new CopyOnWriteArrayList<>();
    Trainer echo = LoopbackFederationTest.custom((g, c) -> {
      received.add(g.get("w").data().clone());
      return new TrainResult(g, 1, 1, Metrics.of(Metrics.LOSS, 0)); // no training: w = the model received
    });
    client(server, "a", echo);
    client(server, "b", echo);
    Run r = run(server, 2, 2);
    // the clients trained from the decoded int8 model, but their zero deltas leave the exact model unchanged
    assertThat(r.global().get("w").data()).containsExactly(initial().get("w").data());
    assertThat(received).hasSize(4);
    assertThat(received.get(0)).as("every client of a round gets the same broadcast").containsExactly(received.get(1));
    assertThat(received.get(0)).isNotEqualTo(initial().get("w").data());
    // int8 down, fp32 deltas up
    long modelBytes = 4L * N;
    assertThat(r.bytesDown()).isLessThan(4 * modelBytes * 3 / 10).isGreaterThan(4 * modelBytes / 4);
    assertThat(r.bytesUp()).isGreaterThan(4 * modelBytes);
  }

  @Test
  void topKWithErrorFeedbackEventuallySendsEveryCoordinate() {
    // each round the client wants to add the same wave; top-10% alone always sends the same largest tenth
    FederationServer noEf = server(wire("topk:0.1", false, "none"));
    client(noEf, "a", wave(1f));
    int rounds = 20;
    Run without = run(noEf, rounds, 1);
    FederationServer ef = server(wire("topk:0.1", true, "none"));
    client(ef, "a", wave(1f));
    Run with = run(ef, rounds, 1);

    float[] x0 = initial().get("w").data();
    int movedWithout = 0;
    int movedWith = 0;
    double errWithout = 0;
    double errWith = 0;
    for (int i = 0; i < N; i++) {
      float want = x0[i] + rounds * (float) Math.sin(i);
      movedWithout += without.global().get("w").data()[i] != x0[i] ? 1 : 0;
      movedWith += with.global().get("w").data()[i] != x0[i] ? 1 : 0;
      errWithout += Math.abs(without.global().get("w").data()[i] - want);
      errWith += Math.abs(with.global().get("w").data()[i] - want);
    }
    assertThat(movedWithout).isLessThanOrEqualTo(N / 10 + 1);
    assertThat(movedWith).as("the residual carries what was dropped into later rounds").isGreaterThan(N / 3);
    // without feedback the dropped 90% is lost every round; with it the error is only what is still owed
    assertThat(errWith).isLessThan(errWithout * 0.5);
    assertThat(with.bytesUp()).isLessThan(rounds * 4L * N / 5); // about 10% of the values plus positions
  }

  @Test
  void clientWithoutTheCodecCapabilityIsRefusedAtHelloWithTheReason() throws Exception {
    FederationServer server = server(wire("int8", false, "none"));
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    closeMe.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    RawSession old = new RawSession(channel);
    old.send(ClientMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setClientId("old")).build());
    Status s = old.closed.get(10, TimeUnit.SECONDS);
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).contains("codec/1").contains("uplink int8").contains("'old'");
    assertThat(server.pool().available()).isEmpty();
  }

  @Test
  void floatUpdateIsRefusedWhenTheRunExpectsEncodedOnes() throws Exception {
    FederationServer server = server(wire("int8", false, "none"));
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    closeMe.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    RawSession raw = new RawSession(channel);
    raw.send(ClientMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setClientId("raw")
        .addCapabilities("codec/1")).build());
    var welcome = raw.next(dev.starling.transport.grpc.proto.ServerMessage.BodyCase.WELCOME).getWelcome();
    assertThat(welcome.getUplinkCodec()).isEqualTo("int8");
    Thread loop = Thread.ofPlatform().daemon().start(() -> {
      try {
        run(server, 1, 1);
      } catch (AssertionError expected) {
        // the round fails: its only update was refused
      }
    });
    closeMe.add(loop::interrupt);
    var task = raw.task();
    raw.update(task, initial());
    var rejected = raw.next(dev.starling.transport.grpc.proto.ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(rejected.getMessage()).contains("float32 chunks").contains("encoded with int8");
  }

  @Test
  void attachmentsTravelAsFloatChunksBesideTheEncodedModel() {
    FederationServer server = server(wire("int8", false, "fp16"));
    dev.starling.core.message.AttachmentKey key = new dev.starling.core.message.AttachmentKey("extra");
    client(server, "a", LoopbackFederationTest.custom((g, c) -> new TrainResult(g, 1, 1, Metrics.of(Metrics.LOSS, 0),
        dev.starling.core.message.Attachments.none().with(key, ParameterSet.of(Tensor.of("e", new float[] {1.5f, -2.25f}, 2))))));
    List<float[]> seen = new CopyOnWriteArrayList<>();
    dev.starling.strategy.Strategy recording = new dev.starling.strategy.ForwardingStrategy(new FedAvg()) {
      @Override
      public dev.starling.strategy.Aggregation beginAggregation(int round, ParameterSet global) {
        dev.starling.strategy.Aggregation inner = super.beginAggregation(round, global);
        return new dev.starling.strategy.Aggregation() {
          @Override
          public void accept(dev.starling.core.message.ClientId client, TrainResult result) {
            seen.add(result.attachments().get(key).orElseThrow().get("e").data());
            inner.accept(client, result);
          }

          @Override
          public dev.starling.strategy.AggregateResult finish(List<dev.starling.core.message.ClientFailure> failures) {
            return inner.finish(failures);
          }
        };
      }
    };
    RoundLoop.Result r = new RoundLoop(server.wrap(recording), server.pool(),
        LoopbackFederationTest.loop(1, 1, Duration.ofSeconds(20)), RoundListener.NONE).run(initial());
    assertThat(r.history().rounds().get(0).clientsSucceeded()).isEqualTo(1);
    assertThat(seen).singleElement().satisfies(e -> assertThat(e).containsExactly(1.5f, -2.25f));
    // the client sent back the fp16 model it received: a zero delta, so the exact model is kept
    assertThat(r.global().get("w").data()).containsExactly(initial().get("w").data());
  }

  @Test
  void errorFeedbackNeedsALossyUplink() {
    CodecChain fp32 = CodecChain.identity();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> new WireCompression(fp32, true, fp32, 1))
        .hasMessageContaining("lossy");
  }
}
