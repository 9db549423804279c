package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.LearnerFactory;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.util.ArrayList;
import java.util.List;
import java.util.OptionalInt;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The asynchronous modes over loopback gRPC with four client processes' worth of clients, one of them held back
 * (its first job waits until the server has committed model version 3): the others keep the versions advancing
 * meanwhile, and its update arrives at least 3 versions stale. Ordering is forced with latches, not timing.
 */
class NetworkedSyncModesTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  /** What the run saw, and the latches that order the slow client's job against the others. */
  private static final class Gates implements RoundListener {
    final CountDownLatch version3 = new CountDownLatch(1);
    final CountDownLatch slowArrived = new CountDownLatch(1);

    @Override
    public void onRoundCommitted(int round, ParameterSet global, History history) {
      if (history.rounds().get(history.rounds().size() - 1).metric("model_version") >= 3) {
        version3.countDown();
      }
    }

    @Override
    public void onClientDone(int round, ClientId client, boolean success) {
      if (client.value().equals("slow")) {
        slowArrived.countDown();
      }
    }
  }

  /** logreg; the slow client's first job waits for version 3, the others' jobs of round 6 on wait for its arrival. */
  private static LearnerFactory gated(Gates g, boolean slow) {
    return WrappedLogreg.of((l, global, config) -> {
      WrappedLogreg.await(slow ? (config.round() == 1 ? g.version3 : null)
          : (config.round() >= 6 ? g.slowArrived : null));
      return l.fit(global, config);
    });
  }

  private static List<RoundRecord> run(RunSpec.SyncMode sync, int aggregations) throws Exception {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(aggregations).withFraction(1.0).withMinClients(4);
    RunSpec spec = RunSpec.defaults().withModel("logreg").withStrategy("fedavg").withSeed(5).withLoop(loop)
        .withSync(sync);
    List<ClientShard> shards = Partitioners.parse("iid").partition(digits.train(), 4, RandomSource.seeded(5));
    Gates gates = new Gates();
    List<CompletableFuture<Integer>> clients = new ArrayList<>();
    List<RoundRecord> rounds;
    try (ExecutorService threads = Executors.newFixedThreadPool(4);
        NetworkedRun server = Starling.server(spec, digits.test(), ServerSettings.loopback(0, "", ""))) {
      for (int i = 0; i < 4; i++) {
        Dataset local = digits.train().subset(shards.get(i).rows());
        String id = i == 3 ? "slow" : "fast-" + i;
        FederationClient c = Starling.client(ClientSettings.of("127.0.0.1", server.port(), id), gated(gates, i == 3),
            local, 1);
        clients.add(CompletableFuture.supplyAsync(() -> {
          try (c) {
            c.run();
            return c.tasksDone();
          }
        }, threads));
      }
      rounds = server.run(gates).history().rounds();
    }
    for (CompletableFuture<Integer> c : clients) {
      assertThat(c.get(30, TimeUnit.SECONDS)).isPositive();
    }
    return rounds;
  }

  @Test
  @Timeout(120)
  void buffered_overGrpc_versionsAdvanceWhileASlowClientTrains_itsStaleUpdateIsWeighted_andAccuracyIsReached()
      throws Exception {
    List<RoundRecord> rounds = run(RunSpec.SyncMode.parse("buffered:2"), 12);
    assertThat(rounds).hasSize(12).allMatch(RoundRecord::committed).allMatch(r -> r.clientsSucceeded() == 2);
    for (int i = 0; i < rounds.size(); i++) {
      assertThat(rounds.get(i).metric("model_version")).isEqualTo(i + 1);
    }
    // the slow client's update, trained from version 0, was folded at version 3 or later
    assertThat(rounds).anyMatch(r -> r.metric("staleness_max") >= 3);
    double prev = 0;
    for (RoundRecord r : rounds) {
      assertThat(r.metric("clock_seconds")).isGreaterThanOrEqualTo(prev);
      prev = r.metric("clock_seconds");
    }
    assertThat(rounds.get(11).metric("test_accuracy")).isGreaterThan(0.85);
  }

  @Test
  @Timeout(120)
  void fedAsync_overGrpc_withAStalenessBound_dropsTheSlowUpdateAsAFailureWithTheReason() throws Exception {
    List<RoundRecord> rounds = run(RunSpec.SyncMode.parse("async:0.6").withStalenessBound(OptionalInt.of(2)), 10);
    assertThat(rounds).hasSize(10);
    List<ClientFailure> dropped = rounds.stream().flatMap(r -> r.failures().stream()).toList();
    // the slow client's update (from version 0, arriving at version 3 or later) is among the dropped ones
    assertThat(dropped).anyMatch(f -> f.client().value().equals("slow"));
    assertThat(dropped).allSatisfy(f -> {
      assertThat(f.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
      assertThat(f.reason()).contains("versions stale, more than the staleness bound of 2; dropped");
    });
    assertThat(rounds).allMatch(r -> r.metric("staleness_max") <= 2);
    assertThat(rounds.get(rounds.size() - 1).metric("model_version")).isEqualTo(rounds.stream()
        .filter(RoundRecord::committed).count());
  }
}
