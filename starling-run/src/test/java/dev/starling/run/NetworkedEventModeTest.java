package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.message.ClientId;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Event-triggered synchronisation over loopback gRPC (protocol v1.5): the Welcome carries the threshold, each
 * client runtime installs the EventTrigger, a client whose accumulated change is too small answers with a skip
 * reply (no model bytes) that the server counts as a skip, not a failure. Four clients: two train logreg on
 * digits (large changes, always upload), "still" returns the model unchanged (always skips), "drift" moves it
 * by 0.4% of its norm per job (skips, and uploads once its accumulated change reaches 1%).
 */
class NetworkedEventModeTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  /** logreg whose fit returns {@code move(global)}, training nothing (its fit runs for the example count and loss). */
  private static LearnerFactory moving(UnaryOperator<ParameterSet> move) {
    return WrappedLogreg.of((l, global, config) -> l.fit(global, config).withParameters(move.apply(global)));
  }

  private static ParameterSet scaled(ParameterSet p, float factor) {
    List<Tensor> out = new ArrayList<>();
    for (Tensor t : p) {
      float[] d = t.data().clone();
      for (int i = 0; i < d.length; i++) {
        d[i] *= factor;
      }
      out.add(Tensor.of(t.name(), d, t.shape()));
    }
    return ParameterSet.of(out);
  }

  /** logreg that waits for {@code gate} before its first job. */
  private static LearnerFactory heldBack(CountDownLatch gate) {
    return WrappedLogreg.of((l, global, config) -> {
      WrappedLogreg.await(config.round() == 1 ? gate : null);
      return l.fit(global, config);
    });
  }

  private record Outcome(List<RoundRecord> rounds, Map<String, FederationClient> clients) {
    long bytesUp() {
      return rounds.stream().mapToLong(RoundRecord::bytesUp).sum();
    }

    double skippedReported() {
      return rounds.stream().mapToDouble(r -> r.metric("updates_skipped")).sum();
    }
  }

  private static Outcome run(String sync, int aggregations, Map<String, LearnerFactory> learners, RoundListener listener)
      throws Exception {
    return run(sync, aggregations, learners, listener, RunSpec.Compression.none());
  }

  private static Outcome run(String sync, int aggregations, Map<String, LearnerFactory> learners, RoundListener listener,
      RunSpec.Compression compression) throws Exception {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(aggregations).withFraction(1.0)
        .withMinClients(learners.size());
    RunSpec spec = RunSpec.defaults().withModel("logreg").withStrategy("fedavg").withSeed(5).withLoop(loop)
        .withSync(RunSpec.SyncMode.parse(sync)).withCompression(compression);
    List<ClientShard> shards = Partitioners.parse("iid").partition(digits.train(), learners.size(), RandomSource.seeded(5));
    Map<String, FederationClient> clients = new LinkedHashMap<>();
    List<CompletableFuture<Integer>> done = new ArrayList<>();
    List<RoundRecord> rounds;
    try (ExecutorService threads = Executors.newFixedThreadPool(learners.size());
        NetworkedRun server = Starling.server(spec, digits.test(), ServerSettings.loopback(0, "", ""))) {
      int i = 0;
      for (Map.Entry<String, LearnerFactory> e : learners.entrySet()) {
        Dataset local = digits.train().subset(shards.get(i++).rows());
        FederationClient c = Starling.client(ClientSettings.of("127.0.0.1", server.port(), e.getKey()), e.getValue(),
            local, 1);
        clients.put(e.getKey(), c);
        done.add(CompletableFuture.supplyAsync(() -> {
          try (c) {
            c.run();
            return c.tasksDone();
          }
        }, threads));
      }
      rounds = server.run(listener).history().rounds();
    }
    for (CompletableFuture<Integer> c : done) {
      assertThat(c.get(30, TimeUnit.SECONDS)).isPositive();
    }
    return new Outcome(rounds, clients);
  }

  private static Map<String, LearnerFactory> fourClients() {
    Map<String, LearnerFactory> m = new LinkedHashMap<>();
    m.put("learn-0", Learners.parse("logreg"));
    m.put("learn-1", Learners.parse("logreg"));
    m.put("still", moving(p -> p));
    m.put("drift", moving(p -> scaled(p, 1.004f)));
    return m;
  }

  @Test
  @Timeout(120)
  void eventMode_overGrpc_smallChangesAreSkipped_accumulatedOnesUploaded_andTheUplinkShrinks() throws Exception {
    Outcome event = run("event:0.01", 10, fourClients(), new RoundListener() { });
    Outcome always = run("event:0", 10, fourClients(), new RoundListener() { }); // threshold 0: every job uploads

    FederationClient still = event.clients().get("still");
    FederationClient drift = event.clients().get("drift");
    // "still" never changes the model: every one of its jobs is a skip; a skip is not a failure
    assertThat(still.skipsSent()).isPositive().isEqualTo(still.tasksDone());
    // "drift" holds back 0.4% steps and uploads once they add up to 1%
    assertThat(drift.skipsSent()).isPositive().isLessThan(drift.tasksDone());
    assertThat(event.clients().get("learn-0").skipsSent()).isZero();
    assertThat(event.rounds()).hasSize(10).allMatch(RoundRecord::committed)
        .allSatisfy(r -> assertThat(r.failures()).isEmpty());
    for (int i = 0; i < 10; i++) {
      assertThat(event.rounds().get(i).metric("model_version")).isEqualTo(i + 1);
    }
    int skips = event.clients().values().stream().mapToInt(FederationClient::skipsSent).sum();
    assertThat(event.skippedReported()).isEqualTo(skips);
    // with threshold 0 nobody skips, so the same jobs send more bytes
    assertThat(always.clients().values()).allMatch(c -> c.skipsSent() == 0);
    assertThat(always.skippedReported()).isZero();
    assertThat((double) event.bytesUp()).isLessThan(0.8 * always.bytesUp());
    assertThat(event.rounds().get(9).metric("test_accuracy")).isGreaterThan(0.85);
  }

  @Test
  @Timeout(120)
  void eventMode_withAnEncodedUplink_skipsCarryNoModel_andTheEncodedUpdatesAreAggregated() throws Exception {
    Outcome o = run("event:0.01", 6, fourClients(), new RoundListener() { },
        RunSpec.Compression.of("int8", RunSpec.Defaults.CODEC));
    FederationClient still = o.clients().get("still");
    assertThat(still.skipsSent()).isPositive().isEqualTo(still.tasksDone());
    assertThat(o.clients().get("drift").skipsSent()).isPositive();
    assertThat(o.rounds()).hasSize(6).allMatch(RoundRecord::committed)
        .allSatisfy(r -> assertThat(r.failures()).isEmpty());
    assertThat(o.rounds().get(5).metric("model_version")).isEqualTo(6);
    assertThat(o.rounds().get(5).metric("test_accuracy")).isGreaterThan(0.8);
  }

  @Test
  @Timeout(120)
  void eventMode_overGrpc_aRoundClosesAtTheMaximumInterval_whenAClientIsNotBack() throws Exception {
    CountDownLatch version2 = new CountDownLatch(1);
    CountDownLatch heldArrived = new CountDownLatch(1);
    Map<String, LearnerFactory> learners = new LinkedHashMap<>();
    learners.put("learn-0", Learners.parse("logreg"));
    learners.put("still", moving(p -> p));
    learners.put("held", heldBack(version2));
    RoundListener listener = new RoundListener() {
      @Override
      public void onRoundCommitted(int round, ParameterSet global, History history) {
        if (history.rounds().get(history.rounds().size() - 1).metric("model_version") >= 2) {
          version2.countDown();
        }
      }

      @Override
      public void onClientDone(int round, ClientId client, boolean success) {
        if (client.value().equals("held")) {
          heldArrived.countDown();
        }
      }
    };
    // round 1 can only close at the maximum interval (0.3 s): "held" answers after version 2 is committed
    Outcome o = run("event:0.01,0.3", 6, learners, listener);
    assertThat(heldArrived.getCount()).isZero();
    assertThat(o.rounds()).hasSize(6).allMatch(RoundRecord::committed);
    for (int i = 0; i < 6; i++) {
      assertThat(o.rounds().get(i).metric("model_version")).isEqualTo(i + 1);
    }
    // its update, trained from version 0, joined a later aggregation, weighted for its staleness
    assertThat(o.rounds()).anyMatch(r -> r.metric("staleness_max") >= 2);
    assertThat(o.clients().get("still").skipsSent()).isPositive();
  }
}
