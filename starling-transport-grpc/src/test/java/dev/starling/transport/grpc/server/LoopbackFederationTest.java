package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Server and clients in one JVM, talking real gRPC over 127.0.0.1, driven by the shared RoundLoop. */
@Timeout(60)
class LoopbackFederationTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  static ParameterSet initial(int n) {
    float[] w = new float[n];
    for (int i = 0; i < n; i++) {
      w[i] = i % 7;
    }
    return ParameterSet.of(Tensor.of("w", w, n), Tensor.of("b", new float[] {0.5f, -0.5f}, 2));
  }

  /** A trainer that adds {@code delta} to every value and reports {@code examples}. */
  static Trainer adding(float delta, long examples) {
    return custom((g, c) -> {
      ParameterSet out = g.map(t -> {
        float[] d = t.data().clone();
        for (int i = 0; i < d.length; i++) {
          d[i] += delta;
        }
        return Tensor.of(t.name(), d, t.shape());
      });
      return new TrainResult(out, examples, 1, Metrics.of(Metrics.LOSS, delta));
    });
  }

  static Trainer custom(BiFunction<ParameterSet, TrainConfig, TrainResult> fit) {
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        return fit.apply(global, config);
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return new EvalResult(10, Metrics.builder().put(Metrics.LOSS, 1).put(Metrics.ACCURACY, 0.5).build());
      }
    };
  }

  FederationServer server(ServerSettings s) {
    FederationServer server = new FederationServer(s).start();
    closeMe.add(server);
    return server;
  }

  void client(FederationServer server, String id, Trainer t) {
    startClient(server, id, t, closeMe);
  }

  /** Starts client {@code id} training with {@code t} against {@code server}; it and its thread go on {@code closeMe}. */
  static FederationClient startClient(FederationServer server, String id, Trainer t, List<AutoCloseable> closeMe) {
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
    return c;
  }

  static RoundLoopConfig loop(int rounds, int clients, Duration timeout) {
    return RoundLoopConfig.builder().rounds(rounds).fractionFit(1.0).minFitClients(clients).minAvailableClients(clients)
        .minSuccessfulClients(1).roundTimeout(timeout).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
  }

  @Test
  void fedAvgOverGrpcEqualsTheExampleWeightedMeanAndUsesChunks() {
    ServerSettings s = new ServerSettings("127.0.0.1", 0, java.util.Optional.empty(), java.util.Map.of(),
        Duration.ofMillis(500), 1000, 1L << 24, 1, Duration.ofSeconds(20), "test", "fedavg", "t");
    FederationServer server = server(s);
    client(server, "a", adding(1f, 1));
    client(server, "b", adding(2f, 2));
    client(server, "c", adding(4f, 1));
    ParameterSet init = initial(10_000); // 10 chunks of 1000 values per model
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(), loop(2, 3, Duration.ofSeconds(20)),
        new RoundListener() {
          @Override
          public void onRoundEnd(RoundRecord rec) {
            records.add(rec);
          }
        }).run(init);
    // per round: (1*1 + 2*2 + 4*1) / 4 = 2.25 added
    float[] w = r.global().get("w").data();
    for (int i = 0; i < w.length; i += 997) {
      assertThat(w[i]).isCloseTo(i % 7 + 4.5f, org.assertj.core.data.Offset.offset(1e-4f));
    }
    assertThat(records).hasSize(2);
    assertThat(records.get(0).clientsSucceeded()).isEqualTo(3);
    assertThat(records.get(0).bytesUp()).isGreaterThan(3L * 10_002 * 4);
    assertThat(records.get(0).bytesDown()).isGreaterThan(3L * 10_002 * 4);
    assertThat(server.uploadsInFlight()).isZero();
    // one upload slot: the server never held more than one client's update at a time
    assertThat(server.peakUploadsInFlight()).isEqualTo(1);
  }

  @Test
  void badUpdatesAreRejectedWithAClearErrorAndNeverAggregated() {
    ServerSettings s = new ServerSettings("127.0.0.1", 0, java.util.Optional.empty(), java.util.Map.of(),
        Duration.ofMillis(500), 1000, 10_002, 2, Duration.ofSeconds(20), "test", "fedavg", "t");
    FederationServer server = server(s);
    client(server, "good", adding(1f, 1));
    client(server, "nan", custom((g, c) -> {
      ParameterSet p = g.copy();
      p.get("w").data()[4321] = Float.NaN;
      return new TrainResult(p, 100, 1, Metrics.empty());
    }));
    client(server, "shape", custom((g, c) -> new TrainResult(ParameterSet.of(Tensor.zeros("w", 10_000),
        Tensor.zeros("b", 3)), 100, 1, Metrics.empty())));
    client(server, "crash", custom((g, c) -> {
      throw new IllegalStateException("unreachable");
    }));
    client(server, "big", custom((g, c) -> new TrainResult(g.copy(), 100, 1, Metrics.empty(),
        dev.starling.core.message.Attachments.none().with(new dev.starling.core.message.AttachmentKey("x"),
            ParameterSet.of(Tensor.zeros("x", 5))))));
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(), loop(1, 5, Duration.ofSeconds(20)),
        new RoundListener() {
          @Override
          public void onRoundEnd(RoundRecord rec) {
            records.add(rec);
          }
        }).run(initial(10_000));
    RoundRecord rec = records.get(0);
    assertThat(rec.clientsSucceeded()).isEqualTo(1);
    assertThat(r.global().get("b").data()).containsExactly(1.5f, 0.5f); // only "good" (+1) was folded
    assertThat(rec.failures()).extracting(f -> f.client().value()).containsExactlyInAnyOrder("nan", "shape", "crash", "big");
    assertThat(reason(rec, "nan")).contains("non-finite value NaN at index 4321").contains("client nan");
    assertThat(reason(rec, "shape")).contains("wrong shape");
    assertThat(reason(rec, "big")).contains("limit of 10002").contains("oversize");
    assertThat(reason(rec, "crash")).contains("unreachable");
    assertThat(rec.failures()).filteredOn(f -> !f.client().value().equals("crash"))
        .extracting(ClientFailure::code).containsOnly(ErrorCode.INVALID_ARGUMENT);
    assertThat(server.uploadsInFlight()).isZero();
  }

  @Test
  void clientJoiningLateIsSelectedFromTheNextRound() {
    FederationServer server = server(ServerSettings.loopback(0, "test", "fedavg").withHeartbeat(Duration.ofMillis(500)));
    client(server, "early", adding(1f, 1));
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(2).fractionFit(1.0).minFitClients(1).minAvailableClients(1)
        .roundTimeout(Duration.ofSeconds(20)).availabilityTimeout(Duration.ofSeconds(20)).foldOrder(FoldOrder.ARRIVAL).build();
    new RoundLoop(server.wrap(new FedAvg()), server.pool(), cfg, new RoundListener() {
      @Override
      public void onRoundEnd(RoundRecord rec) {
        records.add(rec);
        if (rec.round() == 1) {
          client(server, "late", adding(3f, 1));
          long end = System.nanoTime() + 10_000_000_000L;
          while (server.pool().available().size() < 2 && System.nanoTime() < end) {
            Thread.onSpinWait();
          }
        }
      }
    }).run(initial(100));
    assertThat(records.get(0).clientsSelected()).isEqualTo(1);
    assertThat(records.get(1).clientsSelected()).isEqualTo(2);
    assertThat(records.get(1).clientsSucceeded()).isEqualTo(2);
    assertThat(server.registry()).containsExactly("early", "late");
  }

  @Test
  void federatedEvaluationRunsOverTheSameStreams() {
    FederationServer server = server(ServerSettings.loopback(0, "test", "fedavg").withHeartbeat(Duration.ofMillis(500)));
    client(server, "x", adding(1f, 1));
    client(server, "y", adding(1f, 1));
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(1).fractionFit(1.0).minFitClients(2).minAvailableClients(2)
        .fractionEvaluate(1.0).roundTimeout(Duration.ofSeconds(20)).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
    RoundRecord rec = new RoundLoop(server.wrap(new FedAvg()), server.pool(), cfg, RoundListener.NONE).run(initial(50))
        .history().rounds().get(0);
    assertThat(rec.metric("eval_accuracy")).isEqualTo(0.5); // both clients' evaluators report 0.5 on 10 examples
    assertThat(rec.metric("eval_loss")).isEqualTo(1.0);
  }

  @Test
  void clientMissingTheRoundDeadlineIsRecordedAndItsLateUpdateIsRefused() {
    FederationServer server = server(ServerSettings.loopback(0, "test", "fedavg").withHeartbeat(Duration.ofMillis(500)));
    client(server, "fast", adding(1f, 1));
    // the slow client's round-1 training ends only once round 1 is over: it misses the deadline whatever the machine
    java.util.concurrent.CountDownLatch roundOneOver = new java.util.concurrent.CountDownLatch(1);
    FederationClient slow = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "slow")
        .withGiveUpAfter(Duration.ofSeconds(20)), (m, s) -> custom((g, c) -> {
          if (c.round() == 1) {
            try {
              roundOneOver.await();
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
            }
          }
          return adding(2f, 1).fit(g, c);
        }));
    closeMe.add(slow);
    Thread th = Thread.ofPlatform().daemon().name("client-slow").start(() -> {
      try {
        slow.run();
      } catch (RuntimeException e) {
        // the test asserts on the server's records
      }
    });
    closeMe.add(th::interrupt);
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    RoundLoopConfig cfg = loop(2, 2, Duration.ofSeconds(3));
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(), cfg, new RoundListener() {
      @Override
      public void onRoundEnd(RoundRecord rec) {
        if (rec.round() == 1) {
          // the server abandoned the task at the deadline and told the client, which then drops its late update
          long end = System.nanoTime() + 20_000_000_000L;
          while (!slow.lastRejection().contains("deadline passed") && System.nanoTime() < end) {
            try {
              Thread.sleep(5);
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return;
            }
          }
          roundOneOver.countDown();
        }
        records.add(rec);
      }
    }).run(initial(100));
    RoundRecord first = records.get(0);
    assertThat(first.clientsSucceeded()).isEqualTo(1);
    assertThat(first.failures()).singleElement().satisfies(f -> {
      assertThat(f.client().value()).isEqualTo("slow");
      assertThat(f.code()).isEqualTo(ErrorCode.DEADLINE_EXCEEDED);
    });
    assertThat(slow.lastRejection()).isEqualTo("DEADLINE_EXCEEDED: round 1 deadline passed");
    assertThat(slow.rejections()).as("the abandoned task's update was never sent, so never refused").isEqualTo(1);
    assertThat(records.get(1).clientsSucceeded()).isEqualTo(2); // the slow client is back in time for round 2
    assertThat(r.global().get("b").data()[0]).isCloseTo(0.5f + 1f + 1.5f, org.assertj.core.data.Offset.offset(1e-5f));
    assertThat(server.uploadsInFlight()).isZero();
  }

  private static String reason(RoundRecord rec, String client) {
    return rec.failures().stream().filter(f -> f.client().value().equals(client)).findFirst().orElseThrow().reason();
  }
}
