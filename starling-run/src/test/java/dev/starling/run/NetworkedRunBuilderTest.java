package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.random.RandomSource;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.Learners;
import dev.starling.server.CheckpointStore;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.server.RunState;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@link NetworkedRun.Builder}'s checkpoints and resume over loopback gRPC, as the CLI's server uses them. */
class NetworkedRunBuilderTest {
  private static LoadedData digits;

  @TempDir
  Path dir;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RunSpec spec(int rounds) {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(rounds).withFraction(1.0).withMinClients(2);
    return RunSpec.defaults().withModel("logreg").withStrategy("fedavg").withSeed(3).withLoop(loop);
  }

  /** Two networked clients on halves of digits' training rows; the server checkpoints into {@code store}. */
  private static RoundLoop.Result run(RunSpec spec, CheckpointStore store, RunState from, List<Integer> started)
      throws Exception {
    List<ClientShard> shards = Partitioners.parse("iid").partition(digits.train(), 2, RandomSource.seeded(3));
    List<CompletableFuture<Integer>> clients = new ArrayList<>();
    RoundLoop.Result result;
    try (ExecutorService threads = Executors.newFixedThreadPool(2);
        NetworkedRun server = NetworkedRun.builder(spec).learner(Learners.parse("logreg"), digits.test())
            .listen(ServerSettings.loopback(0, "", "")).checkpoints(store, Map.of("run", "builder-test"))
            .resumeFrom(from).start()) {
      assertThat(server.resumedFrom()).isEqualTo(java.util.Optional.ofNullable(from));
      for (int i = 0; i < 2; i++) {
        Dataset local = digits.train().subset(shards.get(i).rows());
        FederationClient c = Starling.client(ClientSettings.of("127.0.0.1", server.port(), "c" + i),
            Learners.parse("logreg"), local, 1);
        clients.add(CompletableFuture.supplyAsync(() -> {
          try (c) {
            c.run();
            return c.tasksDone();
          }
        }, threads));
      }
      result = server.run(new RoundListener() {
        @Override
        public void onRoundStart(int round, int selected) {
          started.add(round);
        }
      });
    }
    for (CompletableFuture<Integer> c : clients) {
      assertThat(c.get(30, TimeUnit.SECONDS)).isPositive();
    }
    return result;
  }

  @Test
  void checkpointsEveryRoundAndResumesAtTheNextRound() throws Exception {
    CheckpointStore store = new CheckpointStore(dir);
    List<Integer> started = new java.util.concurrent.CopyOnWriteArrayList<>();
    RoundLoop.Result first = run(spec(2), store, null, started);
    assertThat(started).containsOnly(1, 2);
    RunState saved = store.latest().orElseThrow();
    assertThat(saved.round()).isEqualTo(2);
    assertThat(saved.metadata()).containsEntry("run", "builder-test");
    assertThat(saved.clients()).containsExactlyInAnyOrder("c0", "c1");
    assertThat(saved.global().tensors().get(0).data()).containsExactly(first.global().tensors().get(0).data());

    started.clear();
    RoundLoop.Result resumed = run(spec(4), store, saved, started);
    assertThat(started).containsOnly(3, 4).contains(3, 4); // rounds 1 and 2 are not run again
    List<RoundRecord> rounds = resumed.history().rounds();
    assertThat(rounds).extracting(RoundRecord::round).containsExactly(1, 2, 3, 4);
    // rounds 1 and 2 are the first run's, restored from the checkpoint; only 3 and 4 were trained again
    assertThat(rounds.subList(0, 2)).extracting(r -> r.metric("test_accuracy"))
        .containsExactlyElementsOf(first.history().rounds().stream().map(r -> r.metric("test_accuracy")).toList());
    assertThat(rounds.subList(2, 4)).allSatisfy(r -> assertThat(r.clientsSucceeded()).isEqualTo(2));
    assertThat(store.latest().orElseThrow().round()).isEqualTo(4);
  }
}
