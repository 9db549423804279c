package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.compression.CodecChain;
import dev.starling.compression.Codecs;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.SgdLearner;
import dev.starling.server.FoldOrder;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.VirtualClient;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.ServerEvaluatedStrategy;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.server.FederationServer;
import dev.starling.transport.grpc.server.ServerSettings;
import dev.starling.transport.grpc.server.WireCompression;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Compression parity: the same digits run (3 IID clients, mlp:32, 6 rounds) in simulation and over real
 * gRPC on 127.0.0.1 with the same data, initial model and codecs. The networked run sends the encoded
 * bytes, so int8 moves about a quarter of float32's, and reaches the simulation's accuracy within 0.04.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetworkedCompressionTest {
  private static final long SEED = 3;
  private static final int CLIENTS = 3;
  private static final int ROUNDS = 6;
  private static final ModelSpec MODEL = ModelSpec.parse("mlp:32");

  private record Outcome(double accuracy, long bytesUp, long bytesDown) {}

  private static Simulation simulation(Communication comm) throws Exception {
    LoadedData data = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    return new Simulation(new SimulationConfig(MODEL, Partitioners.parse("iid"), CLIENTS, 0, 2, true, SEED,
        dev.starling.simulation.adversary.Adversity.none(), comm, null), data.train(), data.test());
  }

  private static RoundLoopConfig loop(FoldOrder order) {
    TrainConfig train = TrainConfig.builder().localEpochs(1).batchSize(16).learningRate(0.1).build();
    return RoundLoopConfig.builder().rounds(ROUNDS).fractionFit(1.0).minFitClients(CLIENTS).minAvailableClients(CLIENTS)
        .minSuccessfulClients(CLIENTS).roundTimeout(Duration.ofSeconds(30)).availabilityTimeout(Duration.ofSeconds(30))
        .trainDefaults(train).seed(SEED).foldOrder(order).build();
  }

  private static Outcome outcome(History h) {
    List<RoundRecord> rs = h.rounds();
    return new Outcome(rs.get(rs.size() - 1).metric("test_accuracy"), rs.stream().mapToLong(RoundRecord::bytesUp).sum(),
        rs.stream().mapToLong(RoundRecord::bytesDown).sum());
  }

  private static Outcome simulated(CodecChain up, boolean ef) throws Exception {
    try (Simulation sim = simulation(new Communication(up, ef, CodecChain.identity()))) {
      return outcome(sim.run(new FedAvg(), loop(FoldOrder.SELECTION), RoundListener.NONE).history());
    }
  }

  /** The same run with each simulated client's data behind a networked client. */
  private static Outcome networked(CodecChain up, boolean ef) throws Exception {
    try (Simulation sim = simulation(Communication.none())) {
      FederationServer server = new FederationServer(ServerSettings.loopback(0, MODEL.id(), "fedavg")
          .withHeartbeat(Duration.ofMillis(500)));
      server.compressTraffic(new WireCompression(up, ef, CodecChain.identity(), SEED));
      List<AutoCloseable> closeMe = new ArrayList<>();
      try (FederationServer s = server.start()) {
        for (VirtualClient vc : sim.clients()) {
          Trainer t = new Trainer() {
            @Override
            public TrainResult fit(ParameterSet global, TrainConfig config) {
              return new SgdLearner(MODEL, vc.data(), global).fit(global, config);
            }

            @Override
            public EvalResult evaluate(ParameterSet global) {
              return new SgdLearner(MODEL, vc.data(), global).evaluate(global);
            }
          };
          FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", s.port(), vc.id().value())
              .withGiveUpAfter(Duration.ofSeconds(20)), (m, st) -> t);
          closeMe.add(c);
          Thread.ofPlatform().daemon().start(() -> {
            try {
              c.run();
            } catch (RuntimeException e) {
              // asserted through the server's records
            }
          });
        }
        var evaluated = new ServerEvaluatedStrategy(new FedAvg(), p -> Evaluation.evaluate(MODEL, p, sim.testSet()).metrics());
        RoundLoop.Result r = new RoundLoop(s.wrap(evaluated), s.pool(), loop(FoldOrder.ARRIVAL), RoundListener.NONE)
            .run(sim.initialParameters());
        assertThat(r.history().rounds()).allSatisfy(rec -> assertThat(rec.clientsSucceeded()).isEqualTo(CLIENTS));
        s.finish("done");
        return outcome(r.history());
      } finally {
        for (AutoCloseable c : closeMe) {
          c.close();
        }
      }
    }
  }

  @Test
  void int8UplinkOverGrpcMovesAQuarterOfTheBytesAndMatchesTheSimulatedAccuracy() throws Exception {
    Outcome rawNet = networked(CodecChain.identity(), false);
    Outcome int8Net = networked(Codecs.parse("int8"), false);
    Outcome int8Sim = simulated(Codecs.parse("int8"), false);
    double ratio = (double) int8Net.bytesUp() / rawNet.bytesUp();
    System.out.printf("digits mlp:32, %d clients, %d rounds: float32 net acc %.4f up %,d B; int8 net acc %.4f up %,d B"
        + " (ratio %.3f); int8 simulated acc %.4f up %,d B%n", CLIENTS, ROUNDS, rawNet.accuracy(), rawNet.bytesUp(),
        int8Net.accuracy(), int8Net.bytesUp(), ratio, int8Sim.accuracy(), int8Sim.bytesUp());
    assertThat(ratio).as("int8 / float32 bytes up over gRPC").isBetween(0.24, 0.32);
    assertThat(int8Net.accuracy()).as("networked int8 vs simulated int8").isCloseTo(int8Sim.accuracy(),
        org.assertj.core.data.Offset.offset(0.04));
    assertThat(int8Net.accuracy()).isGreaterThan(0.85);
    assertThat(rawNet.accuracy() - int8Net.accuracy()).as("int8 costs little accuracy").isLessThan(0.04);
  }

  @Test
  void topKWithErrorFeedbackOverGrpcLearns() throws Exception {
    Outcome net = networked(Codecs.parse("topk:0.1"), true);
    Outcome sim = simulated(Codecs.parse("topk:0.1"), true);
    System.out.printf("digits mlp:32 top-10%% + EF: net acc %.4f up %,d B; simulated acc %.4f up %,d B%n", net.accuracy(),
        net.bytesUp(), sim.accuracy(), sim.bytesUp());
    assertThat(net.accuracy()).isCloseTo(sim.accuracy(), org.assertj.core.data.Offset.offset(0.06));
    assertThat(net.accuracy()).isGreaterThan(0.7);
  }
}
