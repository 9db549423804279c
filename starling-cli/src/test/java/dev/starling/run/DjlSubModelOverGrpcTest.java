package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.message.ClientId;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.Learners;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Federated Dropout and FisherDropout (its Fisher scores on each client's own data, the full model in round 1) of
 * {@code djl:cnn}'s dense layer over loopback gRPC compute what the simulation computes: the
 * same spec simulated and served to networked clients holding the simulated clients' data (named like them, so they
 * draw the same units from (seed, round, client)), folded in selection order, gives the same model bit for bit. In
 * package {@code dev.starling.run} (test sources of starling-cli, which has the djl learners on its class path) for
 * {@link NetworkedRun}'s selection-order start, as starling-run's own {@code SubModelOverGrpcTest} does for the MLP.
 */
class DjlSubModelOverGrpcTest {
  @ParameterizedTest
  @ValueSource(strings = {"federated-dropout", "fisher:64"})
  @Timeout(120)
  void subModelsOfTheCnnDenseLayer_overGrpc_areTheSimulationBitForBit(String policy) throws Exception {
    LoadedData digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    Dataset train = digits.train();
    Dataset test = digits.test();
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(2).withFraction(1.0).withMinClients(3);
    RunSpec spec = RunSpec.defaults().withModel("djl:cnn:8,16,64").withSeed(7).withLoop(loop)
        .withTraining(new RunSpec.Training(2, 10, 0.05, 0.9, 0)).withPopulation(RunSpec.Population.of(3, "iid"))
        .withSubModels(Optional.of(new RunSpec.SubModels(policy, 0.5, 0.5, 5)));

    RoundListener none = RoundListener.NONE;
    List<Dataset> data;
    dev.starling.server.RoundLoop.Result sim;
    try (SimulatedRun s = SimulatedRun.create(spec, train, test, 2, false)) {
      data = s.simulation().clients().stream().map(c -> c.data()).toList();
      sim = s.run(none);
    }
    List<CompletableFuture<Integer>> clients = new ArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(data.size());
    dev.starling.server.RoundLoop.Result net;
    try (NetworkedRun server = NetworkedRun.start(spec, Learners.parse(spec.model()), test,
        ServerSettings.loopback(0, "", "").withLimits(1L << 31, data.size(), Duration.ofMinutes(1)),
        FoldOrder.SELECTION)) {
      for (int i = 0; i < data.size(); i++) {
        ClientSettings cs = ClientSettings.of("127.0.0.1", server.port(), ClientId.ofIndex(i).value());
        FederationClient c = new FederationClient(cs, ClientTrainers.of(Learners::parse, data.get(i), spec.seed()));
        clients.add(CompletableFuture.supplyAsync(() -> {
          try (c) {
            c.run();
            return c.tasksDone();
          }
        }, threads));
      }
      net = server.run(none);
      for (CompletableFuture<Integer> c : clients) {
        assertThat(c.get(30, TimeUnit.SECONDS)).isEqualTo(2);
      }
    } finally {
      threads.shutdownNow();
    }
    for (String name : sim.global().names()) {
      assertThat(net.global().get(name).data()).as(name).isEqualTo(sim.global().get(name).data());
    }
    List<RoundRecord> a = net.history().rounds();
    List<RoundRecord> b = sim.history().rounds();
    assertThat(a).hasSize(2).allMatch(r -> r.metric("clients_aggregated") == 3);
    for (int r = 0; r < 2; r++) {
      assertThat(a.get(r).metric("test_loss")).isEqualTo(b.get(r).metric("test_loss"));
      // conv 208 + 3,216, dense 32 of 64 units (32*64+32), output 10*32+10: 5,834 of 8,234 parameters
      assertThat(a.get(r).metric("mean_trained_fraction")).isEqualTo(b.get(r).metric("mean_trained_fraction"))
          .isCloseTo(5834.0 / 8234, org.assertj.core.data.Offset.offset(1e-12));
    }
    assertThat(b.get(1).metric("test_accuracy")).isGreaterThan(0.6); // 0.79 here (fisher:64: 0.77)
  }
}
