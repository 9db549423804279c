package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.starling.compression.Codecs;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.FitOutcome;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.PayloadSpec;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.UpdateHeader;
import dev.starling.transport.grpc.wire.ByteLane;
import dev.starling.transport.grpc.wire.Outbox;
import dev.starling.transport.grpc.wire.Payloads;
import java.net.InetSocketAddress;
import java.nio.channels.SocketChannel;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The byte lane (protocol v1.7) end to end: rounds over it equal the same rounds without it, a lane that cannot
 * be set up leaves the chunks in the stream, and clients that misuse it are dropped without wedging the server.
 */
@Timeout(60)
class ByteLaneFederationTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private static ServerSettings settings(boolean lane) {
    ServerSettings s = new ServerSettings("127.0.0.1", 0, Optional.empty(), Map.of(), Duration.ofMillis(500), 1000,
        1L << 24, 2, Duration.ofSeconds(20), "test", "fedavg", "t");
    return lane ? s.withLane(0) : s;
  }

  private FederationServer server(ServerSettings s, WireCompression wire) {
    FederationServer server = new FederationServer(s);
    if (wire != null) {
      server.compressTraffic(wire);
    }
    closeMe.add(server.start());
    return server;
  }

  private record Run(ParameterSet global, List<RoundRecord> records) {}

  /** Two rounds with three clients adding 1, 2 and 4 (weights 1, 2, 1) to a 10,002-value model in 1,000-value chunks. */
  private Run rounds(FederationServer server) {
    LoopbackFederationTest.startClient(server, "a", LoopbackFederationTest.adding(1f, 1), closeMe);
    LoopbackFederationTest.startClient(server, "b", LoopbackFederationTest.adding(2f, 2), closeMe);
    LoopbackFederationTest.startClient(server, "c", LoopbackFederationTest.adding(4f, 1), closeMe);
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(),
        LoopbackFederationTest.loop(2, 3, Duration.ofSeconds(20)), new RoundListener() {
          @Override
          public void onRoundEnd(RoundRecord rec) {
            records.add(rec);
          }
        }).run(LoopbackFederationTest.initial(10_000));
    assertThat(records).allSatisfy(rec -> assertThat(rec.clientsSucceeded()).as(rec.failures().toString()).isEqualTo(3));
    return new Run(r.global(), records);
  }

  @Test
  void roundsOverTheByteLaneEqualTheSameRoundsInTheStreamBitForBit() {
    Run stream = rounds(server(settings(false), null));
    FederationServer laned = server(settings(true), null);
    Run lane = rounds(laned);
    assertThat(laned.lanePort()).isPositive();
    assertThat(laned.lanesBound()).as("every client took the lane").isEqualTo(3);
    for (String name : List.of("w", "b")) {
      assertThat(lane.global().get(name).data()).isEqualTo(stream.global().get(name).data());
    }
    // the same payload bytes cross either way (the chunks' announcements are a few bytes smaller than their data)
    for (int i = 0; i < 2; i++) {
      assertThat(lane.records().get(i).bytesUp()).isCloseTo(stream.records().get(i).bytesUp(),
          org.assertj.core.data.Percentage.withPercentage(1));
      assertThat(lane.records().get(i).bytesDown()).isCloseTo(stream.records().get(i).bytesDown(),
          org.assertj.core.data.Percentage.withPercentage(1));
    }
    assertThat(laned.uploadsInFlight()).isZero();
  }

  @Test
  void encodedPayloadsTravelOnTheLaneAsInTheStream() {
    WireCompression wire = new WireCompression(Codecs.parse("int8"), false, Codecs.parse("int8"), 7);
    Run stream = rounds(server(settings(false), wire));
    FederationServer laned = server(settings(true), wire);
    Run lane = rounds(laned);
    assertThat(laned.lanesBound()).isEqualTo(3);
    assertThat(lane.global().get("w").data()).isEqualTo(stream.global().get("w").data());
  }

  @Test
  void secureAggregationRunsBesideTheLanes() throws Exception {
    // masked inputs travel as protocol messages in the stream; the model's download takes the lane
    FederationServer s = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")
        .withHeartbeat(Duration.ofMillis(500)).withLimits(1L << 24, 2, Duration.ofSeconds(20)).withLane(0)).start();
    closeMe.add(s);
    s.enableSecureAggregation(new SecAggSettings(0.0, 1.0, Duration.ofSeconds(10), Duration.ofSeconds(20), 0));
    for (int k = 0; k < 3; k++) {
      LoopbackFederationTest.startClient(s, "s" + k, SecureAggregationLoopbackTest.adding(k), closeMe);
    }
    SecureAggregationLoopbackTest.awaitClients(s, 3);
    ParameterSet[] global = new ParameterSet[1];
    List<RoundRecord> records = SecureAggregationLoopbackTest.run(s, new FedAvg(),
        SecureAggregationLoopbackTest.loop(2, 3), global);
    assertThat(records).allSatisfy(r -> assertThat(r.clientsSucceeded()).as(r.failures().toString()).isEqualTo(3));
    assertThat(s.lanesBound()).isEqualTo(3);
    SecureAggregationLoopbackTest.assertUniformMean(global[0], new int[] {3, 3});
  }

  @Test
  void aLaneThatCannotBeSetUpLeavesTheChunksInTheStream() {
    FederationServer s = server(settings(true), null);
    s.lanes().close(); // the port stops answering: clients fail to connect and go on without
    Run lane = rounds(s);
    Run stream = rounds(server(settings(false), null));
    assertThat(s.lanesBound()).isZero();
    assertThat(lane.global().get("w").data()).isEqualTo(stream.global().get("w").data());
  }

  @Test
  void aServerWithTlsCannotOfferAPlaintextLane() {
    ServerSettings plain = settings(false);
    assertThatThrownBy(() -> plain.withTls(new TlsFiles(Optional.of(Path.of("cert.pem")), Optional.of(Path.of("key.pem")),
        Optional.empty())).withLane(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("lanePort")
        .hasMessageContaining("plaintext");
  }

  @Test
  void anOpeningWithAWrongTokenIsClosedAndTheOfferStaysForItsClient() throws Exception {
    try (LaneListener l = new LaneListener("127.0.0.1", 0, Duration.ofSeconds(5))) {
      CompletableFuture<ByteLane> bound = new CompletableFuture<>();
      var offer = l.offer(lane -> bound.complete(lane));
      assertThatThrownBy(() -> ByteLane.connect("127.0.0.1", l.port(), offer.getLaneId(), ByteLane.newToken(),
          Duration.ofSeconds(5))).hasMessageContaining("refused");
      assertThatThrownBy(() -> ByteLane.connect("127.0.0.1", l.port(), offer.getLaneId() + 1,
          offer.getToken().toByteArray(), Duration.ofSeconds(5))).hasMessageContaining("refused");
      assertThat(l.pendingOffers()).isEqualTo(1);
      assertThat(bound).isNotDone();
      try (ByteLane mine = ByteLane.connect("127.0.0.1", l.port(), offer.getLaneId(), offer.getToken().toByteArray(),
          Duration.ofSeconds(5))) {
        assertThat(bound.get(5, TimeUnit.SECONDS).isOpen()).isTrue();
        assertThat(l.pendingOffers()).isZero();
        // an offer is taken once: the same id and token again are refused
        assertThatThrownBy(() -> ByteLane.connect("127.0.0.1", l.port(), offer.getLaneId(),
            offer.getToken().toByteArray(), Duration.ofSeconds(5))).hasMessageContaining("refused");
      }
    }
  }

  @Test
  void aSilentOpeningIsClosedAfterTheTimeout() throws Exception {
    try (LaneListener l = new LaneListener("127.0.0.1", 0, Duration.ofMillis(300));
        SocketChannel silent = SocketChannel.open(new InetSocketAddress("127.0.0.1", l.port()))) {
      silent.socket().setSoTimeout(5_000);
      assertThat(silent.socket().getInputStream().read()).as("closed without an answer").isEqualTo(-1);
    }
  }

  private static final ParameterSet GLOBAL = ParameterSet.of(Tensor.of("w", new float[2000], 2000));

  /** A server-side session of client {@code id} with one training task open, its header already received. */
  private static RemoteClient uploading(FederationServer server, String id, CompletableFuture<FitOutcome>[] fit) {
    Outbox<ServerMessage> out = new Outbox<>(new NullServerStream(), ServerMessage::getSerializedSize, "test-outbox");
    RemoteClient c = new RemoteClient(new ClientId(id), out, server, List.of());
    fit[0] = c.fit(GLOBAL, TrainConfig.builder().round(1).build());
    long task = c.openTasks().iterator().next();
    PayloadSpec spec = Payloads.spec(GLOBAL, dev.starling.core.message.Attachments.none());
    c.onMessage(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(task).setRound(1)
        .setNumExamples(1).setSpec(spec)).build());
    return c;
  }

  @SuppressWarnings("unchecked")
  @Test
  void bytesAnnouncedWithoutALaneDropTheClient() throws Exception {
    FederationServer server = server(settings(true), null);
    CompletableFuture<FitOutcome>[] fit = new CompletableFuture[1];
    RemoteClient c = uploading(server, "nolane", fit);
    long task = c.openTasks().iterator().next();
    c.onMessage(ClientMessage.newBuilder().setChunk(Chunk.newBuilder().setTaskId(task).setLaneBytes(4000)).build());
    assertThat(c.alive()).isFalse();
    assertThatThrownBy(() -> fit[0].get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasMessageContaining("announced 4000 lane bytes without a byte lane");
  }

  @SuppressWarnings("unchecked")
  @Test
  void anUploadStalledOnItsLaneIsDroppedAndFreesTheThreadReadingIt() throws Exception {
    FederationServer server = server(settings(true).withTimeouts(Duration.ofSeconds(10), Duration.ofSeconds(1)), null);
    CompletableFuture<FitOutcome>[] fit = new CompletableFuture[1];
    RemoteClient c = uploading(server, "staller", fit);
    long task = c.openTasks().iterator().next();
    var offer = server.lanes().offer(c::attachLane);
    ByteLane lane = ByteLane.connect("127.0.0.1", server.lanePort(), offer.getLaneId(), offer.getToken().toByteArray(),
        Duration.ofSeconds(5));
    closeMe.add(lane);
    lane.write(ByteString.copyFrom(new byte[100])); // 100 of the 4,000 bytes it announces
    Thread reader = Thread.ofPlatform().start(() -> c.onMessage(ClientMessage.newBuilder().setChunk(Chunk.newBuilder()
        .setTaskId(task).setLaneBytes(4000)).build()));
    reader.join(200);
    assertThat(reader.isAlive()).as("blocked reading the announced bytes").isTrue();
    long now = server.ticker().nanos();
    long limit = Duration.ofSeconds(1).toNanos();
    // bytes that arrived on the lane since the last check are progress: the first check restarts the clock
    c.expireStalledUploads(now + Duration.ofSeconds(2).toNanos(), limit);
    reader.join(200);
    assertThat(reader.isAlive()).as("the lane moved since the last check: not stalled yet").isTrue();
    assertThat(c.alive()).isTrue();
    c.expireStalledUploads(now + Duration.ofSeconds(4).toNanos(), limit); // nothing more for 2 s: stalled
    reader.join(5_000);
    assertThat(reader.isAlive()).as("the blocked lane read was freed").isFalse();
    assertThat(c.alive()).isFalse();
    assertThatThrownBy(() -> fit[0].get(5, TimeUnit.SECONDS)).isInstanceOf(ExecutionException.class)
        .hasMessageContaining("stalled");
    assertThat(server.uploadsInFlight()).isZero();
  }
}
