package dev.starling.run;

import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.Learners;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * Runs one {@link RunSpec} twice, as a simulation and over loopback gRPC with the simulation's own client
 * datasets ({@link Learners} by name on both sides, networked client {@code i} named {@link ClientId#ofIndex}
 * {@code (i)} like simulated client {@code i}), so tests can compare the two.
 */
final class Loopback {
  private Loopback() {}

  /** A finished run: its final model and its rounds. */
  record Run(ParameterSet global, List<RoundRecord> rounds) {
    double finalMetric(String name) {
      return rounds.get(rounds.size() - 1).metric(name);
    }
  }

  /** The spec simulated on {@code train}/{@code test} with 2 worker threads, no standardisation. */
  static Run simulate(RunSpec spec, Dataset train, Dataset test) {
    try (SimulatedRun sim = SimulatedRun.create(spec, train, test, 2, false)) {
      var r = sim.run(RoundListener.NONE);
      return new Run(r.global(), r.history().rounds());
    }
  }

  /** The datasets the simulation of {@code spec} gives its clients, in client order. */
  static List<Dataset> clientData(RunSpec spec, Dataset train, Dataset test) {
    try (SimulatedRun sim = SimulatedRun.create(spec, train, test, 1, false)) {
      return sim.simulation().clients().stream().map(c -> c.data()).toList();
    }
  }

  /** The spec over loopback gRPC, one networked client per simulated client's data, folding in {@code order}. */
  static Run overGrpc(RunSpec spec, Dataset train, Dataset test, FoldOrder order) throws Exception {
    return overGrpc(spec, train, test, order, true);
  }

  /**
   * As above; {@code compactSubModels} false makes every client a v1.4/v1.5 one that does not offer compact
   * sub-model uploads (it sends the full-shaped model plus a float32 trained-mask).
   */
  static Run overGrpc(RunSpec spec, Dataset train, Dataset test, FoldOrder order, boolean compactSubModels)
      throws Exception {
    List<Dataset> data = clientData(spec, train, test);
    List<CompletableFuture<Integer>> clients = new ArrayList<>();
    ExecutorService threads = Executors.newFixedThreadPool(data.size());
    try (NetworkedRun server = NetworkedRun.start(spec, Learners.parse(spec.model()), test,
        // selection order folds a round's updates only once all have arrived: every one needs its upload slot meanwhile
        ServerSettings.loopback(0, "", "").withLimits(1L << 31, data.size(), java.time.Duration.ofMinutes(1)), order)) {
      for (int i = 0; i < data.size(); i++) {
        ClientSettings cs = ClientSettings.of("127.0.0.1", server.port(), ClientId.ofIndex(i).value());
        FederationClient c = new FederationClient(cs, ClientTrainers.of(Learners::parse, data.get(i), spec.seed()))
            .compactSubModelUploads(compactSubModels);
        clients.add(CompletableFuture.supplyAsync(() -> {
          try (c) {
            c.run();
            return c.tasksDone();
          }
        }, threads));
      }
      var r = server.run(RoundListener.NONE);
      for (CompletableFuture<Integer> c : clients) {
        c.get(30, TimeUnit.SECONDS);
      }
      return new Run(r.global(), r.history().rounds());
    } finally {
      threads.shutdownNow();
    }
  }
}
