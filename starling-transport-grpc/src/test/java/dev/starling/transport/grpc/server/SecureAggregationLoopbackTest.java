package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.robust.Krum;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.Hello;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.UpdateHeader;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.stub.StreamObserver;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Secure aggregation over real gRPC on 127.0.0.1: server and {@link FederationClient}s in one JVM, each
 * client running its half of the protocol on its own stream. Checks the sum semantics against uniform
 * FedAvg, that the decorated strategy only ever receives the unmasked sum, drop-out recovery, and that
 * updates in the clear are refused.
 */
@Timeout(60)
class SecureAggregationLoopbackTest {
  private static final int N = 10_000;
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  /** Client k adds 0.001 (k + 1) ((i mod 13) - 6) to value i, and reports 10^k examples. */
  static float delta(int k, int i) {
    return 0.001f * (k + 1) * ((i % 13) - 6);
  }

  static Trainer adding(int k) {
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        float[] w = global.flatten();
        for (int i = 0; i < w.length; i++) {
          w[i] += delta(k, i);
        }
        return new TrainResult(global.unflatten(w), (long) Math.pow(10, k), 1, Metrics.of(Metrics.LOSS, k));
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return new EvalResult(1, Metrics.of(Metrics.LOSS, 0));
      }
    };
  }

  static ParameterSet initial() {
    float[] w = new float[N];
    for (int i = 0; i < N; i++) {
      w[i] = (i % 5) * 0.25f;
    }
    return ParameterSet.of(Tensor.of("w", w, N), Tensor.of("b", new float[] {0.5f, -0.5f}, 2));
  }

  /** Records everything the decorated strategy is handed. */
  static final class Recording extends ForwardingStrategy {
    final List<String> senders = new CopyOnWriteArrayList<>();

    Recording(Strategy d) {
      super(d);
    }

    @Override
    public Aggregation beginAggregation(int round, ParameterSet global) {
      Aggregation inner = super.beginAggregation(round, global);
      return new Aggregation() {
        @Override
        public void accept(ClientId client, TrainResult result) {
          senders.add(client.value());
          inner.accept(client, result);
        }

        @Override
        public AggregateResult finish(List<ClientFailure> failures) {
          return inner.finish(failures);
        }
      };
    }
  }

  FederationServer server(double tolerance) {
    return server(tolerance, 0);
  }

  FederationServer server(double tolerance, int neighbours) {
    FederationServer s = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")
        .withHeartbeat(Duration.ofMillis(500)).withLimits(1L << 24, 2, Duration.ofSeconds(20))).start();
    s.enableSecureAggregation(new SecAggSettings(tolerance, 1.0, Duration.ofSeconds(10), Duration.ofSeconds(20),
        neighbours));
    closeMe.add(s);
    return s;
  }

  FederationClient client(FederationServer server, String id, Trainer t) {
    // 1500-value slices: the 10,002-value masked input crosses in 7 messages
    FederationClient c = new FederationClient(new ClientSettings("127.0.0.1", server.port(), id, Optional.empty(),
        Optional.empty(), 1500, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(20)), (m, s) -> t);
    closeMe.add(c);
    Thread th = Thread.ofPlatform().daemon().name("client-" + id).start(() -> {
      try {
        c.run();
      } catch (RuntimeException e) {
        // the test asserts on the server's records
      }
    });
    closeMe.add(th::interrupt);
    return c;
  }

  static void awaitClients(FederationServer server, int n) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (server.pool().available().size() < n && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(server.pool().available()).hasSize(n);
  }

  static RoundLoopConfig loop(int rounds, int clients) {
    return RoundLoopConfig.builder().rounds(rounds).fractionFit(1.0).minFitClients(clients).minAvailableClients(clients)
        .minSuccessfulClients(1).roundTimeout(Duration.ofSeconds(20)).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
  }

  static List<RoundRecord> run(FederationServer server, Strategy s, RoundLoopConfig cfg, ParameterSet[] global) {
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    // privacy's one secure-aggregation decorator, over the server's networked secure sum
    Strategy secured = new dev.starling.privacy.secagg.SecureAggregationStrategy(s, server.secureSum().orElseThrow());
    RoundLoop.Result r = new RoundLoop(server.wrap(secured), server.pool(), cfg, new RoundListener() {
      @Override
      public void onRoundEnd(RoundRecord rec) {
        records.add(rec);
      }
    }).run(initial());
    global[0] = r.global();
    return records;
  }

  /** Asserts {@code w = initial + rounds * mean over clients of delta}, value by value. */
  static void assertUniformMean(ParameterSet got, int[] clientsPerRound) {
    float[] w = got.flatten();
    float[] w0 = initial().flatten();
    for (int i = 0; i < w.length; i++) {
      double expected = w0[i];
      for (int n : clientsPerRound) {
        double mean = 0;
        for (int k = 0; k < n; k++) {
          mean += delta(k, i);
        }
        expected += mean / n;
      }
      assertThat((double) w[i]).as("value %d", i).isCloseTo(expected, Offset.offset(2e-5));
    }
  }

  @Test
  void aggregateEqualsUniformFedAvgAndTheStrategyOnlyEverSeesTheSum() throws Exception {
    FederationServer server = server(0.2);
    for (int k = 0; k < 4; k++) {
      client(server, "c" + k, adding(k));
    }
    awaitClients(server, 4);
    Recording rec = new Recording(new FedAvg());
    ParameterSet[] global = new ParameterSet[1];
    List<RoundRecord> rounds = run(server, rec, loop(2, 4), global);

    // uniform weights (not the 1 / 10 / 100 / 1000 example weights FedAvg would use in the clear)
    assertUniformMean(global[0], new int[] {4, 4});
    // the decorated strategy received exactly one update per round: the unmasked sum, never a client's
    assertThat(rec.senders).containsExactly("secagg-sum", "secagg-sum");
    for (RoundRecord r : rounds) {
      assertThat(r.clientsSucceeded()).isEqualTo(4);
      assertThat(r.failures()).isEmpty();
      assertThat(r.metric("clients_aggregated")).isEqualTo(4);
      assertThat(r.metric("examples")).isEqualTo(1111);
      assertThat(r.metric("secagg_unmask_failed")).isNaN();
      assertThat(r.metric("secagg_dropped_after_masking")).isZero();
      // every client's masked input (4 bytes a value) crossed the wire, in slices
      assertThat(r.metric("secagg_bytes_up")).isGreaterThan(4.0 * 4 * (N + 2));
    }
    assertThat(server.uploadsInFlight()).isZero();
  }

  @Test
  void clientThatDiesAfterSendingItsMaskedInputIsRecoveredFromShares() throws Exception {
    FederationServer server = server(0.3); // 5 clients: threshold 3, one may drop
    List<FederationClient> clients = new ArrayList<>();
    for (int k = 0; k < 5; k++) {
      clients.add(client(server, "c" + k, adding(k)));
    }
    clients.get(4).dropBeforeUnmasking(1);
    awaitClients(server, 5);
    ParameterSet[] global = new ParameterSet[1];
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(2).fractionFit(1.0).minFitClients(4).minAvailableClients(4)
        .minSuccessfulClients(1).roundTimeout(Duration.ofSeconds(20)).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
    List<RoundRecord> rounds = run(server, new FedAvg(), cfg, global);

    RoundRecord first = rounds.get(0);
    // c4's masked input is in the sum although it never answered the unmask request
    assertThat(first.metric("clients_aggregated")).isEqualTo(5);
    assertThat(first.metric("secagg_dropped_after_masking")).isEqualTo(1);
    assertThat(clients.get(4).maskedInputsSent()).isEqualTo(1);
    RoundRecord second = rounds.get(1);
    assertThat(second.clientsSelected()).isEqualTo(4);
    assertThat(second.metric("clients_aggregated")).isEqualTo(4);
    assertUniformMean(global[0], new int[] {5, 4});
  }

  @Test
  void secAggPlusRoundWithAClientDroppedAfterMaskingUnmasksTheRightSum() throws Exception {
    double[] sharesUp = new double[2];
    int[] graphs = {0, 4}; // the complete graph, then SecAgg+ with 4 ring neighbours of 7 clients
    for (int g = 0; g < 2; g++) {
      FederationServer server = server(0.3, graphs[g]);
      List<FederationClient> clients = new ArrayList<>();
      for (int k = 0; k < 7; k++) {
        clients.add(client(server, "g" + g + "c" + k, adding(k)));
      }
      clients.get(6).dropBeforeUnmasking(1);
      awaitClients(server, 7);
      ParameterSet[] global = new ParameterSet[1];
      RoundRecord r = run(server, new FedAvg(), loop(1, 7), global).get(0);
      // the dropped client's masked input is in the sum: its pairwise masks were rebuilt from its neighbours' shares
      assertThat(r.metric("secagg_unmask_failed")).as("graph %d", graphs[g]).isNotEqualTo(1);
      assertThat(r.metric("clients_aggregated")).isEqualTo(7);
      assertThat(r.metric("secagg_dropped_after_masking")).isEqualTo(1);
      assertUniformMean(global[0], new int[] {7});
      sharesUp[g] = r.metric("secagg_bytes_up");
    }
    // the same masked inputs, fewer key shares: each client shares with 4 neighbours instead of 6 others
    assertThat(sharesUp[1]).isLessThan(sharesUp[0]);
  }

  @Test
  void tooManyDropOutsKeepTheGlobalModelAndReportUnmaskFailed() throws Exception {
    FederationServer server = server(0.0); // 4 clients: threshold 3, no drop-out tolerated
    List<FederationClient> clients = new ArrayList<>();
    for (int k = 0; k < 4; k++) {
      clients.add(client(server, "c" + k, adding(k)));
    }
    clients.get(2).dropBeforeUnmasking(1);
    clients.get(3).dropBeforeUnmasking(1);
    awaitClients(server, 4);
    ParameterSet[] global = new ParameterSet[1];
    List<RoundRecord> rounds = run(server, new FedAvg(), loop(1, 4), global);
    assertThat(rounds.get(0).metric("secagg_unmask_failed")).isEqualTo(1);
    assertThat(rounds.get(0).metric("clients_aggregated")).isZero();
    assertThat(global[0].flatten()).containsExactly(initial().flatten());
  }

  @Test
  void updatesInTheClearAndClientsWithoutSecAggAreRefusedAndNeverAggregated() throws Exception {
    FederationServer server = server(0.3);
    for (int k = 0; k < 4; k++) {
      client(server, "c" + k, adding(k));
    }
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    closeMe.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    // "plain" claims secagg/2 but answers its task with an update in the clear; "old" predates secure aggregation;
    // "v1" speaks secagg/1, whose HMAC-derived keys differ from secagg/2's HKDF keys
    rawClient(channel, "plain", SecAggSettings.CAPABILITY, true);
    rawClient(channel, "old", null, true);
    rawClient(channel, "v1", "secagg/1", true);
    awaitClients(server, 7);
    Recording rec = new Recording(new FedAvg());
    ParameterSet[] global = new ParameterSet[1];
    List<RoundRecord> rounds = run(server, rec, loop(1, 7), global);
    RoundRecord r = rounds.get(0);
    assertThat(r.clientsSucceeded()).isEqualTo(4);
    assertThat(r.failures()).extracting(f -> f.client().value()).containsExactlyInAnyOrder("plain", "old", "v1");
    ClientFailure plain = r.failures().stream().filter(f -> f.client().value().equals("plain")).findFirst().orElseThrow();
    assertThat(plain.code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(plain.reason()).contains("client plain").contains("in the clear");
    ClientFailure old = r.failures().stream().filter(f -> f.client().value().equals("old")).findFirst().orElseThrow();
    assertThat(old.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
    assertThat(old.reason()).contains("does not speak secagg/2");
    ClientFailure v1 = r.failures().stream().filter(f -> f.client().value().equals("v1")).findFirst().orElseThrow();
    assertThat(v1.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
    assertThat(v1.reason()).contains("client v1 speaks secagg/1").contains("runs secagg/2").contains("upgrade the client");
    assertThat(rec.senders).containsExactly("secagg-sum");
    assertUniformMean(global[0], new int[] {4});
  }

  @Test
  void silentClientsAndClientsFailingBeforeMaskingAreRecordedAndTheirMasksRemoved() throws Exception {
    // phase deadlines read a manual ticker: the keys phase closes when the test moves it, not after a sleep
    // (heartbeats are long so that moving the ticker drops nobody)
    ManualTicker ticker = new ManualTicker();
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")
        .withHeartbeat(Duration.ofMinutes(10)), ticker).start();
    closeMe.add(server);
    // each coordination phase waits at most 1 min for a client that is connected but silent
    // 7 clients, tolerance 0.4: threshold 4 (more than half), two drop-outs tolerated
    Duration phaseTimeout = Duration.ofMinutes(1);
    server.enableSecureAggregation(new SecAggSettings(0.4, 1.0, phaseTimeout, Duration.ofSeconds(20)));
    for (int k = 0; k < 5; k++) {
      client(server, "c" + k, adding(k));
    }
    client(server, "broken", new Trainer() { // shares its keys, then fails to train: dropped before masking
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        throw new IllegalStateException("out of memory on the device");
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        throw new UnsupportedOperationException();
      }
    });
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    closeMe.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    rawClient(channel, "silent", SecAggSettings.CAPABILITY, false); // heartbeats, but never advertises keys
    awaitClients(server, 7);
    ParameterSet[] global = new ParameterSet[1];
    var round = java.util.concurrent.CompletableFuture.supplyAsync(() -> run(server, new FedAvg(), loop(1, 7), global),
        r -> Thread.ofPlatform().daemon().name("round-loop").start(r));
    // six clients advertise their keys; the keys phase then waits for "silent" until its deadline
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (server.secAgg().awaitingKeys(1) != 1 && System.nanoTime() < end) {
      Thread.sleep(5);
    }
    assertThat(server.secAgg().awaitingKeys(1)).isEqualTo(1);
    ticker.advance(phaseTimeout.minusMillis(1));
    server.checkTimeouts();
    assertThat(server.secAgg().awaitingKeys(1)).as("the keys phase is still open before its deadline").isEqualTo(1);
    ticker.advance(Duration.ofMillis(1));
    server.checkTimeouts();
    List<RoundRecord> rounds = round.get(20, TimeUnit.SECONDS);
    RoundRecord r = rounds.get(0);
    assertThat(r.clientsSucceeded()).isEqualTo(5);
    ClientFailure silent = r.failures().stream().filter(f -> f.client().value().equals("silent")).findFirst().orElseThrow();
    assertThat(silent.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(silent.reason()).contains("client silent advertised no secure aggregation keys within PT1M");
    ClientFailure broken = r.failures().stream().filter(f -> f.client().value().equals("broken")).findFirst().orElseThrow();
    assertThat(broken.reason()).contains("out of memory on the device");
    assertThat(r.failures()).hasSize(2);
    // "broken" added pairwise masks to nobody's sum but shared them: the server removed them from shares
    assertThat(r.metric("clients_aggregated")).isEqualTo(5);
    assertUniformMean(global[0], new int[] {5});
  }

  @Test
  void aStrategyWithoutTheSecureAggregationDecorator_failsTheRoundInsteadOfFoldingReceipts() {
    FederationServer server = server(0.2);
    Strategy bare = server.wrap(new FedAvg());
    assertThatThrownBy(() -> bare.beginAggregation(1, initial()))
        .isInstanceOfSatisfying(dev.starling.core.error.FlException.class,
            e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
        .hasMessageContaining("did not open round 1's secure sum");
  }

  @Test
  void strategiesThatNeedIndividualUpdatesAreRefusedBeforeRoundOne() {
    FederationServer server = server(0.2);
    assertThatThrownBy(() -> new dev.starling.privacy.secagg.SecureAggregationStrategy(new Krum(1),
        server.secureSum().orElseThrow())).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("secure aggregation cannot run").hasMessageContaining("individual update");
  }

  /** A session written against the wire protocol that answers a training task with a zero update in the clear. */
  private static void rawClient(ManagedChannel channel, String id, String capability, boolean answers) {
    StreamObserver<ClientMessage>[] out = new StreamObserver[1];
    out[0] = FederationGrpc.newStub(channel).session(new StreamObserver<>() {
      @Override
      public void onNext(ServerMessage m) {
        if (m.hasTaskHeader() && answers) {
          synchronized (out) {
            out[0].onNext(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder()
                .setTaskId(m.getTaskHeader().getTaskId()).setRound(m.getTaskHeader().getRound()).setNumExamples(1)
                .setSpec(m.getTaskHeader().getSpec())).build());
          }
        }
      }

      @Override
      public void onError(Throwable t) {
      }

      @Override
      public void onCompleted() {
      }
    });
    Hello.Builder h = Hello.newBuilder().setProtocolVersion(1).setClientId(id);
    if (capability != null) {
      h.addCapabilities(capability);
    }
    synchronized (out) {
      out[0].onNext(ClientMessage.newBuilder().setHello(h).build());
    }
    Thread.ofVirtual().start(() -> {
      while (true) {
        try {
          Thread.sleep(200);
          synchronized (out) {
            out[0].onNext(ClientMessage.newBuilder().setHeartbeat(
                dev.starling.transport.grpc.proto.Heartbeat.newBuilder()).build());
          }
        } catch (InterruptedException | RuntimeException e) {
          return;
        }
      }
    });
  }
}
