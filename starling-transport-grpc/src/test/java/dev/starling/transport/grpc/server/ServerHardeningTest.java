package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.message.ClientFailure;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.TaskFailed;
import dev.starling.transport.grpc.proto.TaskHeader;
import dev.starling.transport.grpc.proto.TaskRejected;
import dev.starling.transport.grpc.wire.Convert;
import dev.starling.transport.grpc.wire.Payloads;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Hostile and broken clients against the server's timeouts and limits. Time is a {@link ManualTicker}
 * that only the test moves, so nothing here depends on how fast the machine is.
 */
@Timeout(60)
class ServerHardeningTest {
  private static final Duration IDLE = Duration.ofSeconds(1);
  private final ManualTicker ticker = new ManualTicker();
  private final List<AutoCloseable> closeMe = new ArrayList<>();
  private FederationServer server;
  private ManagedChannel channel;

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  /** Heartbeats of an hour: the manual ticker never comes near the heartbeat limit unless a test wants it. */
  private static ServerSettings settings(int uploads) {
    return new ServerSettings("127.0.0.1", 0, Optional.empty(), Map.of(), Duration.ofHours(1), 1000, 1L << 20, uploads,
        Duration.ofMinutes(1), "test", "fedavg", "t", Duration.ofSeconds(10), IDLE);
  }

  private FederationServer start(ServerSettings s) {
    server = new FederationServer(s, ticker).start();
    closeMe.add(server);
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    closeMe.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    return server;
  }

  private RawSession raw(String id) throws InterruptedException {
    RawSession r = RawSession.hello(channel, id);
    closeMe.add(r::close);
    r.next(ServerMessage.BodyCase.WELCOME);
    return r;
  }

  private static void await(String what, BooleanSupplier condition) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      assertThat(System.nanoTime()).as("waiting until " + what).isLessThan(end);
      Thread.sleep(5);
    }
  }

  private static RoundLoopConfig loop(int rounds, int clients, Duration deadline) {
    return RoundLoopConfig.builder().rounds(rounds).fractionFit(1.0).minFitClients(clients).minAvailableClients(clients)
        .minSuccessfulClients(1).roundTimeout(deadline).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
  }

  private CompletableFuture<List<RoundRecord>> rounds(int rounds, int clients, Duration deadline) {
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    return CompletableFuture.supplyAsync(() -> {
      new RoundLoop(server.wrap(new FedAvg()), server.pool(), loop(rounds, clients, deadline), new RoundListener() {
        @Override
        public void onRoundEnd(RoundRecord r) {
          records.add(r);
        }
      }).run(LoopbackFederationTest.initial(10));
      return records;
    });
  }

  @Test
  void twoClientsThatOpenAnUploadAndStallCannotWedgeTheServer() throws Exception {
    start(settings(2));
    RawSession stall1 = raw("stall-1");
    RawSession stall2 = raw("stall-2");
    // honest clients train only once the test lets them, i.e. after the stallers hold both upload slots
    Semaphore go = new Semaphore(0);
    Trainer honest = LoopbackFederationTest.custom((g, c) -> {
      go.acquireUninterruptibly();
      return LoopbackFederationTest.adding(1f, 1).fit(g, c);
    });
    for (String id : List.of("honest-1", "honest-2")) {
      FederationClient fc = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), id)
          .withGiveUpAfter(Duration.ofSeconds(20)), (m, s) -> honest);
      closeMe.add(fc);
      Thread.ofPlatform().daemon().start(() -> {
        try {
          fc.run();
        } catch (RuntimeException e) {
          // asserted through the server's records
        }
      });
    }
    int rounds = 3;
    CompletableFuture<List<RoundRecord>> run = rounds(rounds, 4, Duration.ofMinutes(1));
    for (int r = 1; r <= rounds; r++) {
      TaskHeader t1 = stall1.task();
      TaskHeader t2 = stall2.task();
      stall1.openUpload(t1);
      stall2.openUpload(t2);
      await("the stallers hold both upload slots", () -> server.uploadsInFlight() == 2);
      go.release(2);
      ticker.advance(IDLE.multipliedBy(2));
      server.checkTimeouts();
      for (var s : List.of(stall1, stall2)) {
        TaskRejected rej = s.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
        assertThat(rej.getCode()).isEqualTo("DEADLINE_EXCEEDED");
        assertThat(rej.getMessage()).contains("upload stalled").contains("upload-idle-timeout");
      }
    }
    List<RoundRecord> records = run.get(30, TimeUnit.SECONDS);
    assertThat(records).hasSize(rounds).allSatisfy(rec -> {
      assertThat(rec.clientsSelected()).isEqualTo(4);
      assertThat(rec.clientsSucceeded()).isEqualTo(2);
      assertThat(rec.failures()).extracting(f -> f.client().value()).containsExactlyInAnyOrder("stall-1", "stall-2");
      assertThat(rec.failures()).extracting(ClientFailure::code).containsOnly(ErrorCode.DEADLINE_EXCEEDED);
    });
    assertThat(server.uploadsInFlight()).isZero();
  }

  @Test
  void roundDeadlineFailsTheTaskItselfFreesItsSlotTellsTheClientAndRefusesALateUpdate() throws Exception {
    start(settings(1));
    RawSession slow = raw("slow");
    // the only upload slot is held by an upload that never finishes; the round's deadline ends it
    CompletableFuture<List<RoundRecord>> first = rounds(1, 1, Duration.ofMillis(300));
    TaskHeader task = slow.task();
    slow.openUpload(task);
    List<RoundRecord> rec = first.get(20, TimeUnit.SECONDS);
    assertThat(rec.get(0).failures()).singleElement().satisfies(f -> {
      assertThat(f.client().value()).isEqualTo("slow");
      assertThat(f.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    });
    TaskRejected told = slow.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(told.getTaskId()).isEqualTo(task.getTaskId());
    assertThat(told.getCode()).isEqualTo("DEADLINE_EXCEEDED");
    assertThat(server.uploadsInFlight()).as("the expired task's slot is free again").isZero();

    // the late update for the expired task is refused, not kept for a later round
    slow.update(task, LoopbackFederationTest.initial(10));
    TaskRejected late = slow.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(late.getTaskId()).isEqualTo(task.getTaskId());
    assertThat(late.getCode()).isEqualTo("FAILED_PRECONDITION");
    assertThat(late.getMessage()).contains("unknown or expired task");
    assertThat(server.uploadsInFlight()).isZero();

    // and the next round runs normally with the same client and the freed slot
    server.setRound(2);
    CompletableFuture<List<RoundRecord>> second = rounds(1, 1, Duration.ofSeconds(20));
    TaskHeader next = slow.task();
    slow.update(next, LoopbackFederationTest.initial(10));
    assertThat(second.get(20, TimeUnit.SECONDS).get(0).clientsSucceeded()).isEqualTo(1);
  }

  @Test
  void aSecondUpdateHeaderForTheSameTaskIsRefusedAndItsSlotReleased() throws Exception {
    start(settings(2));
    RawSession twice = raw("twice");
    CompletableFuture<List<RoundRecord>> run = rounds(1, 1, Duration.ofMinutes(1));
    TaskHeader task = twice.task();
    twice.openUpload(task);
    await("the first header holds a slot", () -> server.uploadsInFlight() == 1);
    twice.openUpload(task);
    TaskRejected rej = twice.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(rej.getCode()).isEqualTo("INVALID_ARGUMENT");
    assertThat(rej.getMessage()).contains("client twice").contains("second UpdateHeader");
    RoundRecord rec = run.get(20, TimeUnit.SECONDS).get(0);
    assertThat(rec.failures()).extracting(ClientFailure::code).containsExactly(ErrorCode.INVALID_ARGUMENT);
    assertThat(server.uploadsInFlight()).isZero();
    assertThat(server.peakUploadsInFlight()).as("the second header never took a second slot").isEqualTo(1);
  }

  @Test
  void aSessionThatNeverSaysHelloIsClosedAfterTheHelloTimeout() throws Exception {
    start(settings(2));
    RawSession greeted = raw("greeted");
    RawSession mute = new RawSession(channel);
    closeMe.add(mute::close);
    await("the server sees the mute session", () -> server.sessionsAwaitingHello() == 1);
    ticker.advance(Duration.ofSeconds(9));
    server.checkTimeouts();
    assertThat(mute.closed).as("still within the Hello timeout").isNotDone();
    ticker.advance(Duration.ofSeconds(2));
    server.checkTimeouts();
    Status s = mute.closed.get(10, TimeUnit.SECONDS);
    assertThat(s.getCode()).isEqualTo(Status.Code.DEADLINE_EXCEEDED);
    assertThat(s.getDescription()).contains("no Hello within PT10S");
    assertThat(server.sessionsAwaitingHello()).isZero();
    assertThat(greeted.closed).as("a session that said Hello is not subject to the Hello timeout").isNotDone();
    assertThat(server.pool().available()).extracting(c -> c.id().value()).containsExactly("greeted");
  }

  @Test
  void withoutAuthenticationASecondSessionCannotTakeOverALiveClientId() throws Exception {
    start(settings(2));
    RawSession first = raw("alice");
    RawSession thief = RawSession.hello(channel, "alice");
    Status refused = thief.closed.get(10, TimeUnit.SECONDS);
    assertThat(refused.getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(refused.getDescription()).contains("'alice'").contains("already connected").contains("without authentication");
    assertThat(first.closed).isNotDone();
    assertThat(server.pool().available()).hasSize(1);

    // once the first session has missed its heartbeats it counts as dead and a reconnect may replace it
    ticker.advance(Duration.ofHours(2).plusMinutes(30));
    RawSession reconnect = raw("alice");
    assertThat(first.closed.get(10, TimeUnit.SECONDS).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
    assertThat(reconnect.closed).isNotDone();
    assertThat(server.pool().available()).hasSize(1);
  }

  @Test
  void aServerWithoutAuthenticationSaysSoLoudlyAtStart() throws Exception {
    List<String> warnings = new CopyOnWriteArrayList<>();
    Logger jul = Logger.getLogger(FederationServer.class.getName());
    Handler h = new Handler() {
      @Override
      public void publish(LogRecord r) {
        if (r.getLevel().intValue() >= java.util.logging.Level.WARNING.intValue()) {
          warnings.add(java.text.MessageFormat.format(r.getMessage(), r.getParameters()));
        }
      }

      @Override
      public void flush() {}

      @Override
      public void close() {}
    };
    jul.addHandler(h);
    closeMe.add(() -> jul.removeHandler(h));
    closeMe.add(new FederationServer(settings(1).withTokens(Map.of("a", "secret")), ticker).start());
    assertThat(warnings).isEmpty();
    start(settings(1));
    assertThat(warnings).singleElement().asString().contains("WITHOUT client authentication").contains("--tokens");
  }

  @Test
  void aClientsFailureReasonIsBoundedWhereItEntersTheServer() throws Exception {
    start(settings(1));
    RawSession verbose = raw("verbose");
    CompletableFuture<List<RoundRecord>> run = rounds(1, 1, Duration.ofMinutes(1));
    TaskHeader task = verbose.task();
    verbose.send(ClientMessage.newBuilder().setTaskFailed(TaskFailed.newBuilder().setTaskId(task.getTaskId())
        .setCode("INTERNAL").setMessage("out of memory\n" + "x".repeat(100_000))).build());
    ClientFailure f = run.get(20, TimeUnit.SECONDS).get(0).failures().get(0);
    assertThat(f.code()).isEqualTo(ErrorCode.INTERNAL);
    assertThat(f.reason()).startsWith("client verbose failed: out of memory x")
        .contains("(99758 more characters cut)").doesNotContain("\n");
    assertThat(f.reason().length()).isLessThan(Convert.MAX_CLIENT_TEXT + 100);
  }

  @Test
  void chunkValuesBeyondGrpcsMessageLimitAreRefusedAtConfigurationTime() {
    assertThatThrownBy(() -> new ServerSettings("127.0.0.1", 0, Optional.empty(), Map.of(), Duration.ofSeconds(1),
        2_000_000, 1L << 24, 1, Duration.ofSeconds(1), "test", "fedavg", "t"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("chunkValues").hasMessageContaining(String.valueOf(Payloads.MAX_CHUNK_VALUES))
        .hasMessageContaining("4 MiB").hasMessageContaining("2000000");
    assertThatThrownBy(() -> ClientSettings.of("127.0.0.1", 1, "c").withChunkValues(Payloads.MAX_CHUNK_VALUES + 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("chunkValues");
  }

  @Test
  void theLargestAllowedChunksCrossGrpcBothWays() throws Exception {
    int n = Payloads.MAX_CHUNK_VALUES + 1000; // two chunks, the first of the largest allowed size
    ServerSettings s = new ServerSettings("127.0.0.1", 0, Optional.empty(), Map.of(), Duration.ofHours(1),
        Payloads.MAX_CHUNK_VALUES, 1L << 24, 1, Duration.ofMinutes(1), "test", "fedavg", "t");
    start(s);
    FederationClient fc = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "big")
        .withChunkValues(Payloads.MAX_CHUNK_VALUES).withGiveUpAfter(Duration.ofSeconds(20)),
        (m, st) -> LoopbackFederationTest.adding(1f, 1));
    closeMe.add(fc);
    Thread.ofPlatform().daemon().start(() -> {
      try {
        fc.run();
      } catch (RuntimeException e) {
        // asserted through the round record
      }
    });
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(), loop(1, 1, Duration.ofSeconds(30)),
        RoundListener.NONE).run(LoopbackFederationTest.initial(n));
    assertThat(r.history().rounds().get(0).clientsSucceeded()).isEqualTo(1);
    assertThat(r.global().get("w").data()[n - 1]).isEqualTo((n - 1) % 7 + 1f);
  }
}
