package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.EventTrigger;
import dev.starling.core.message.ClientFailure;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.Heartbeat;
import dev.starling.transport.grpc.proto.Hello;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.TaskHeader;
import dev.starling.transport.grpc.proto.UpdateHeader;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Misbehaving clients written directly against the wire protocol. */
@Timeout(30)
class RawProtocolTest {
  private FederationServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    server = new FederationServer(ServerSettings.loopback(0, "test", "fedavg").withHeartbeat(Duration.ofMillis(300))).start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  /** A {@link RawSession} that says Hello and sends heartbeats until {@link #mute} is set. */
  private final class Raw {
    final RawSession session;
    final LinkedBlockingQueue<ServerMessage> inbox;
    final CompletableFuture<Status> closed;
    /** Heartbeats are sent until this is set (a client that hangs mid-round). */
    volatile boolean mute;
    final Thread beat;

    Raw(String id) {
      session = RawSession.hello(channel, id);
      inbox = session.inbox;
      closed = session.closed;
      beat = Thread.ofVirtual().start(() -> {
        while (!mute && !closed.isDone()) {
          send(ClientMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder()).build());
          try {
            Thread.sleep(100);
          } catch (InterruptedException e) {
            return;
          }
        }
      });
    }

    void send(ClientMessage m) {
      session.send(m);
    }

    ServerMessage next(ServerMessage.BodyCase kind) throws InterruptedException {
      return session.next(kind);
    }
  }

  private CompletableFuture<RoundRecord> oneRound(Duration deadline) {
    return CompletableFuture.supplyAsync(() -> new RoundLoop(server.wrap(new FedAvg()), server.pool(),
        LoopbackFederationTest.loop(1, 1, deadline), RoundListener.NONE)
        .run(LoopbackFederationTest.initial(10)).history().rounds().get(0));
  }

  @Test
  void updateForTheWrongRoundIsRejectedAndRecorded() throws Exception {
    Raw raw = new Raw("liar");
    raw.next(ServerMessage.BodyCase.WELCOME);
    CompletableFuture<RoundRecord> round = oneRound(Duration.ofSeconds(10));
    TaskHeader task = raw.next(ServerMessage.BodyCase.TASK_HEADER).getTaskHeader();
    raw.next(ServerMessage.BodyCase.TASK_END);
    raw.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(task.getTaskId())
        .setRound(task.getRound() + 1).setNumExamples(1).setSpec(task.getSpec())).build());
    var rejected = raw.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(rejected.getCode()).isEqualTo("INVALID_ARGUMENT");
    assertThat(rejected.getMessage()).contains("client liar").contains("wrong round 2, the task was for round 1");
    RoundRecord rec = round.get(10, TimeUnit.SECONDS);
    assertThat(rec.clientsSucceeded()).isZero();
    assertThat(rec.failures()).extracting(ClientFailure::code).containsExactly(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void skipReplyInARunThatIsNotEventTriggeredIsRejectedAndRecorded() throws Exception {
    Raw raw = new Raw("skipper");
    assertThat(raw.next(ServerMessage.BodyCase.WELCOME).getWelcome().hasEventThreshold()).isFalse();
    CompletableFuture<RoundRecord> round = oneRound(Duration.ofSeconds(10));
    TaskHeader task = raw.next(ServerMessage.BodyCase.TASK_HEADER).getTaskHeader();
    raw.next(ServerMessage.BodyCase.TASK_END);
    raw.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(task.getTaskId())
        .setRound(task.getRound()).setSkipped(true)).build());
    var rejected = raw.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(rejected.getCode()).isEqualTo("INVALID_ARGUMENT");
    assertThat(rejected.getMessage()).contains("client skipper").contains("a skip reply, but this run is not event-triggered");
    RoundRecord rec = round.get(10, TimeUnit.SECONDS);
    assertThat(rec.clientsSucceeded()).isZero();
    assertThat(rec.failures()).extracting(ClientFailure::code).containsExactly(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void skipReplyInAnEventTriggeredRunCompletesTheTaskAsASkip_andOneNamingAPayloadIsRejected() throws Exception {
    FederationServer events = new FederationServer(ServerSettings.loopback(0, "test", "fedavg"));
    events.triggerEvents(0.05);
    events.start();
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", events.port()).usePlaintext().build();
    try {
      RawSession raw = RawSession.hello(ch, "quiet");
      var welcome = raw.next(ServerMessage.BodyCase.WELCOME).getWelcome();
      assertThat(welcome.hasEventThreshold()).isTrue();
      assertThat(welcome.getEventThreshold()).isEqualTo(0.05);
      while (events.pool().available().isEmpty()) {
        Thread.onSpinWait();
      }
      ClientProxy proxy = events.pool().available().get(0);
      dev.starling.core.learner.TrainConfig cfg = dev.starling.core.learner.TrainConfig.builder().round(1).build();
      CompletableFuture<FitOutcome> skip = proxy.fit(LoopbackFederationTest.initial(10), cfg);
      TaskHeader task = raw.next(ServerMessage.BodyCase.TASK_HEADER).getTaskHeader();
      raw.next(ServerMessage.BodyCase.TASK_END);
      ClientMessage reply = ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder()
          .setTaskId(task.getTaskId()).setRound(task.getRound()).setLocalSteps(7).putMetrics("loss", 0.5)
          .setSkipped(true)).build();
      raw.send(reply);
      FitOutcome o = skip.get(10, TimeUnit.SECONDS); // no chunks, no UpdateEnd: the header alone ends the task
      assertThat(EventTrigger.skipped(o.result())).isTrue();
      assertThat(o.result().parameters().count()).isZero();
      assertThat(o.result().localSteps()).isEqualTo(7);
      assertThat(o.result().metrics().getOrNaN("loss")).isEqualTo(0.5);
      assertThat(o.bytesUp()).isEqualTo(reply.getSerializedSize());

      CompletableFuture<FitOutcome> bad = proxy.fit(LoopbackFederationTest.initial(10), cfg);
      TaskHeader second = raw.next(ServerMessage.BodyCase.TASK_HEADER).getTaskHeader();
      raw.next(ServerMessage.BodyCase.TASK_END);
      raw.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(second.getTaskId())
          .setRound(second.getRound()).setSkipped(true).setSpec(second.getSpec())).build());
      assertThat(raw.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected().getMessage())
          .contains("a skip reply that names a payload");
      assertThat(bad).failsWithin(10, TimeUnit.SECONDS);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      events.close();
    }
  }

  @Test
  void silentClientIsDroppedAfterThreeMissedHeartbeatsNotAtTheRoundDeadline() throws Exception {
    // time on a manual ticker: the client is silent exactly as long as the test says, however slow the machine
    ManualTicker ticker = new ManualTicker();
    FederationServer manual = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")
        .withHeartbeat(Duration.ofSeconds(1)), ticker).start();
    ManagedChannel ch = ManagedChannelBuilder.forAddress("127.0.0.1", manual.port()).usePlaintext().build();
    try {
      RawSession raw = RawSession.hello(ch, "mute"); // sends no heartbeats at all
      raw.next(ServerMessage.BodyCase.WELCOME);
      CompletableFuture<RoundRecord> round = CompletableFuture.supplyAsync(() -> new RoundLoop(manual.wrap(new FedAvg()),
          manual.pool(), LoopbackFederationTest.loop(1, 1, Duration.ofMinutes(10)), RoundListener.NONE)
          .run(LoopbackFederationTest.initial(10)).history().rounds().get(0));
      raw.next(ServerMessage.BodyCase.TASK_HEADER); // it hangs with the task: no reply, connection still open
      ticker.advance(Duration.ofMillis(2900));
      manual.checkTimeouts();
      assertThat(round).as("2.9 heartbeats of silence are tolerated").isNotDone();
      assertThat(raw.closed).isNotDone();
      ticker.advance(Duration.ofMillis(200));
      manual.checkTimeouts();
      RoundRecord rec = round.get(10, TimeUnit.SECONDS); // long before the 10 minute round deadline
      assertThat(rec.failures()).singleElement().satisfies(f -> {
        assertThat(f.client().value()).isEqualTo("mute");
        assertThat(f.code()).isEqualTo(ErrorCode.UNAVAILABLE);
        assertThat(f.reason()).contains("no message for 3100 ms (heartbeat every 1000 ms)");
      });
      assertThat(raw.closed.get(5, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.UNAVAILABLE);
    } finally {
      ch.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
      manual.close();
    }
  }

  @Test
  void wrongProtocolVersionIsRefusedClearly() throws Exception {
    LinkedBlockingQueue<Status> st = new LinkedBlockingQueue<>();
    StreamObserver<ClientMessage> out = FederationGrpc.newStub(channel).session(new StreamObserver<>() {
      @Override
      public void onNext(ServerMessage m) {}

      @Override
      public void onError(Throwable t) {
        st.add(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {}
    });
    out.onNext(ClientMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(7).setClientId("future")).build());
    Status s = st.poll(10, TimeUnit.SECONDS);
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).contains("protocol v7").contains("v1");
  }
}
