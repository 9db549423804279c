package dev.starling.transport.grpc.server;

import static dev.starling.transport.grpc.server.LoopbackFederationTest.adding;
import static dev.starling.transport.grpc.server.LoopbackFederationTest.initial;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategies;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Byzantine-robust rules and federated evaluation over real gRPC (127.0.0.1, in one JVM): the server
 * half of each runs on updates and evaluations that crossed the wire, with one attacking client.
 */
@Timeout(60)
class RobustAndEvaluationOverGrpcTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private FederationServer server(String strategy) {
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", strategy)
        .withHeartbeat(Duration.ofMillis(500)).withLimits(1L << 31, 5, Duration.ofMinutes(1))).start();
    closeMe.add(server);
    return server;
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

  /** Four honest clients move every value by about +1, the attacker by +1000. */
  private RoundLoop.Result runWithOneAttacker(String strategy) {
    FederationServer server = server(strategy);
    float[] honest = {0.875f, 1f, 1f, 1.125f};
    for (int i = 0; i < honest.length; i++) {
      client(server, "honest-" + i, adding(honest[i], 10));
    }
    client(server, "attacker", adding(1000f, 10));
    return new RoundLoop(server.wrap(Strategies.parse(strategy)), server.pool(),
        LoopbackFederationTest.loop(2, 5, Duration.ofSeconds(20)), RoundListener.NONE).run(initial(40));
  }

  @ParameterizedTest
  @ValueSource(strings = {"median", "krum:1"})
  void robustRule_overGrpc_ignoresTheAttacker(String rule) {
    RoundLoop.Result r = runWithOneAttacker(rule);
    float[] start = initial(40).flatten();
    float[] end = r.global().flatten();
    for (int i = 0; i < end.length; i++) {
      // two rounds of an honest move of 1 (median of 0.875, 1, 1, 1.125, 1000; Krum picks a client at 1)
      assertThat(end[i] - start[i]).as("coordinate %d under %s", i, rule).isCloseTo(2f, within(1e-4f));
    }
    for (RoundRecord rec : r.history().rounds()) {
      assertThat(rec.clientsSucceeded()).isEqualTo(5);
      if (rule.startsWith("krum")) {
        assertThat(rec.verdicts()).filteredOn(v -> v.action() == ClientVerdict.Action.REJECTED)
            .extracting(ClientVerdict::client).contains(new ClientId("attacker"));
      }
    }
  }

  @Test
  void fedAvg_overGrpc_isDraggedByTheAttacker() {
    // guards the test above: the attack does reach the aggregate of a non-robust rule
    RoundLoop.Result r = runWithOneAttacker("fedavg");
    assertThat(r.global().flatten()[0] - initial(40).flatten()[0]).isGreaterThan(300f);
  }

  private static Trainer evaluating(long examples, double accuracy, double loss) {
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        return adding(0.5f, examples).fit(global, config);
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return new EvalResult(examples, Metrics.builder().put(Metrics.LOSS, loss).put(Metrics.ACCURACY, accuracy).build());
      }
    };
  }

  @Test
  void federatedEvaluation_overGrpc_recordsTheExampleWeightedMeanEveryRound() {
    FederationServer server = server("fedavg");
    client(server, "small", evaluating(10, 0.5, 1.0));
    client(server, "large", evaluating(30, 0.9, 0.2));
    client(server, "mid", evaluating(20, 0.7, 0.4));
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(2).fractionFit(1.0).minFitClients(3).minAvailableClients(3)
        .fractionEvaluate(1.0).roundTimeout(Duration.ofSeconds(20)).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
    List<RoundRecord> h = new RoundLoop(server.wrap(new FedAvg()), server.pool(), cfg, RoundListener.NONE).run(initial(30))
        .history().rounds();
    assertThat(h).hasSize(2);
    for (RoundRecord rec : h) {
      // (10 x 0.5 + 30 x 0.9 + 20 x 0.7) / 60 and (10 x 1.0 + 30 x 0.2 + 20 x 0.4) / 60
      assertThat(rec.metric("eval_accuracy")).isCloseTo(46.0 / 60, within(1e-12));
      assertThat(rec.metric("eval_loss")).isCloseTo(24.0 / 60, within(1e-12));
    }
  }

  @Test
  void federatedEvaluation_overGrpc_samplesTheFractionAsked() {
    FederationServer server = server("fedavg");
    client(server, "a", evaluating(10, 0.25, 1.0));
    client(server, "b", evaluating(10, 0.25, 1.0));
    client(server, "c", evaluating(10, 0.25, 1.0));
    client(server, "d", evaluating(10, 0.25, 1.0));
    int[] evaluated = new int[1];
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(1).fractionFit(1.0).minFitClients(4).minAvailableClients(4)
        .fractionEvaluate(0.5).roundTimeout(Duration.ofSeconds(20)).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
    RoundRecord rec = new RoundLoop(server.wrap(new FedAvg() {
      @Override
      public Metrics aggregateEvaluate(int round, List<dev.starling.core.message.ClientReply<EvalResult>> replies,
          List<dev.starling.core.message.ClientFailure> failures) {
        evaluated[0] = replies.size();
        return super.aggregateEvaluate(round, replies, failures);
      }
    }), server.pool(), cfg, RoundListener.NONE).run(initial(30)).history().rounds().get(0);
    assertThat(evaluated[0]).isEqualTo(2); // floor(0.5 x 4) clients evaluated
    assertThat(rec.metric("eval_accuracy")).isEqualTo(0.25);
  }
}
