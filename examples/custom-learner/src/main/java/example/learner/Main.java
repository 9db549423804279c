package example.learner;

import dev.starling.core.random.RandomSource;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.run.NetworkedRun;
import dev.starling.run.RunSpec;
import dev.starling.run.Starling;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * Federates {@link Centroids} on the bundled digits: once in simulation (found by its name, {@code centroids},
 * through ServiceLoader) and once over gRPC on the loopback interface (a server and three clients in this JVM,
 * each client with a third of the training rows, the learner given directly).
 */
public final class Main {
  private Main() {}

  /** Three clients, all selected, FedAvg, {@code rounds} rounds, seed {@code seed}. */
  static RunSpec spec(int rounds, long seed) {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(rounds).withFraction(1.0).withMinClients(3);
    return RunSpec.defaults().withModel("centroids").withStrategy("fedavg").withSeed(seed).withLoop(loop)
        .withPopulation(RunSpec.Population.of(3, "iid"));
  }

  /** The final test accuracy of a simulation. */
  public static double simulate(int rounds, long seed) throws IOException {
    LoadedData digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    RoundLoop.Result r = Starling.simulate(spec(rounds, seed), digits.train(), digits.test());
    return r.history().last().orElseThrow().metric("test_accuracy");
  }

  /** The final test accuracy of a federation over loopback gRPC. */
  public static double overGrpc(int rounds, long seed) throws Exception {
    LoadedData digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    List<ClientShard> shards = Partitioners.parse("iid").partition(digits.train(), 3, RandomSource.seeded(seed));
    List<CompletableFuture<Void>> clients = new ArrayList<>();
    try (ExecutorService threads = Executors.newFixedThreadPool(shards.size());
        NetworkedRun server = Starling.server(spec(rounds, seed), Centroids::new, digits.test(),
        ServerSettings.loopback(0, "", ""))) {
      for (int i = 0; i < shards.size(); i++) {
        Dataset local = digits.train().subset(shards.get(i).rows());
        FederationClient client = Starling.client(ClientSettings.of("127.0.0.1", server.port(), "client-" + i),
            Centroids::new, local, seed);
        clients.add(CompletableFuture.runAsync(() -> {
          try (client) {
            client.run();
          }
        }, threads));
      }
      RoundLoop.Result r = server.run(RoundListener.NONE);
      CompletableFuture.allOf(clients.toArray(CompletableFuture[]::new)).get();
      return r.history().last().orElseThrow().metric("test_accuracy");
    }
  }

  public static void main(String[] args) throws Exception {
    System.out.printf("centroids, 3 clients, FedAvg, 3 rounds, simulation:   test_accuracy %.3f%n", simulate(3, 1));
    System.out.printf("centroids, 3 clients, FedAvg, 3 rounds, loopback gRPC: test_accuracy %.3f%n", overGrpc(3, 1));
  }
}
