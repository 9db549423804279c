package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.LearnerProvider;
import dev.starling.learners.Learners;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.EveryUpdate;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.StrategyProvider;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.server.ServerSettings;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A model Starling has never seen, with a rule Starling has never seen, federated in simulation and over loopback
 * gRPC through the library API ({@link Starling}) and by name through ServiceLoader.
 */
class BringYourOwnModelTest {
  // --- the whole custom learner: nearest class mean (49 lines) ---
  /** The model is one centroid per class; a client's update is its own class means (others kept from the global). */
  record Centroids(LearnerContext ctx, Dataset data) implements LocalLearner {
    @Override
    public ParameterSet parameters() {
      return ParameterSet.of(Tensor.zeros("centroids", ctx.numOutputs(), ctx.numFeatures()));
    }

    @Override
    public TrainResult fit(ParameterSet global, TrainConfig config) {
      int d = ctx.numFeatures();
      int[] n = data.classCounts();
      float[] c = global.get("centroids").data().clone();
      for (int k = 0; k < n.length; k++) {
        if (n[k] > 0) {
          Arrays.fill(c, k * d, (k + 1) * d, 0f);
        }
      }
      for (int i = 0; i < data.size(); i++) {
        for (int j = 0; j < d; j++) {
          c[data.label(i) * d + j] += data.feature(i, j) / n[data.label(i)];
        }
      }
      return new TrainResult(ParameterSet.of(Tensor.of("centroids", c, n.length, d)), data.size(), 1, Metrics.empty());
    }

    @Override
    public EvalResult evaluate(ParameterSet global) {
      float[] c = global.get("centroids").data();
      int d = ctx.numFeatures();
      int hits = 0;
      for (int i = 0; i < data.size(); i++) {
        int best = 0;
        double bestDist = Double.MAX_VALUE;
        for (int k = 0; k < ctx.numOutputs(); k++) {
          double dist = 0;
          for (int j = 0; j < d; j++) {
            double diff = data.feature(i, j) - c[k * d + j];
            dist += diff * diff;
          }
          if (dist < bestDist) {
            bestDist = dist;
            best = k;
          }
        }
        hits += best == data.label(i) ? 1 : 0;
      }
      return new EvalResult(data.size(), Metrics.of(Metrics.ACCURACY, hits / (double) data.size()));
    }
  }
  // --- end of the learner ---

  // --- the whole custom rule: coordinate-wise median (9 lines) ---
  record Median() implements Strategy {
    @Override
    public Aggregation beginAggregation(int round, ParameterSet global) {
      return EveryUpdate.coordinatewise(global, v -> {
        Arrays.sort(v);
        return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
      });
    }
  }
  // --- end of the rule ---

  /** Registered in src/test/resources/META-INF/services: adds {@code --model centroid}. */
  public static final class CentroidProvider implements LearnerProvider {
    @Override
    public Set<String> names() {
      return Set.of("centroid");
    }

    @Override
    public LearnerFactory create(String name, String argument) {
      if (argument != null) {
        throw new IllegalArgumentException("model centroid takes no argument. Provided value: '" + argument + "'");
      }
      return Centroids::new;
    }
  }

  /** Registered in src/test/resources/META-INF/services: adds {@code --strategy my-median}. */
  public static final class MedianProvider implements StrategyProvider {
    @Override
    public Set<String> names() {
      return Set.of("my-median");
    }

    @Override
    public Strategy create(String name, String argument) {
      return new Median();
    }
  }

  private static LoadedData DIGITS;

  @BeforeAll
  static void load() throws Exception {
    DIGITS = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RunSpec spec() {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(3).withFraction(1.0).withMinClients(3);
    return RunSpec.defaults().withModel("centroid").withStrategy("my-median").withSeed(11).withLoop(loop)
        .withPopulation(RunSpec.Population.of(3, "iid"));
  }

  @Test
  void customLearnerAndRule_byName_inSimulation_reachNearestCentroidAccuracy_andReproduce() {
    RunSpec spec = spec();
    RoundLoop.Result a = Starling.simulate(spec, DIGITS.train(), DIGITS.test());
    List<RoundRecord> rounds = a.history().rounds();
    assertThat(rounds).hasSize(3).allMatch(r -> r.metric("clients_aggregated") == 3);
    assertThat(rounds.get(2).metric("test_accuracy")).isGreaterThan(0.85);
    // the same learner given as a factory, not by name: the same model, bit for bit
    RoundLoop.Result b = Starling.simulate(spec, Centroids::new, DIGITS.train(), DIGITS.test(),
        RoundListener.NONE);
    assertThat(b.global().get("centroids").data()).isEqualTo(a.global().get("centroids").data());
    assertThat(Learners.parse("centroid").id()).isEqualTo("centroid");
    // sub-models drop hidden neurons of the built-in mlp: refused for any other model before round 1
    RunSpec sub = spec.withStrategy("fedavg")
        .withSubModels(java.util.Optional.of(RunSpec.SubModels.of("federated-dropout", "0.5", 5)));
    assertThatThrownBy(() -> RunAssembler.assemble(sub, RunAssembler.Target.SIMULATION))
        .isInstanceOf(InvalidRunException.class).hasMessageContaining("submodel").hasMessageContaining("centroid");
    assertThatThrownBy(() -> RunSpec.defaults().withModel("resnet:50")).isInstanceOf(InvalidRunException.class)
        .hasMessageContaining("centroid").hasMessageContaining("mlp:H1,H2,...");
  }

  @Test
  @Timeout(120)
  void customLearnerAndRule_overLoopbackGrpc_withTheJavaApi() throws Exception {
    RunSpec spec = spec();
    List<ClientShard> shards = Partitioners.parse("iid").partition(DIGITS.train(), 3, RandomSource.seeded(5));
    List<CompletableFuture<Integer>> clients = new ArrayList<>();
    try (ExecutorService threads = Executors.newFixedThreadPool(3);
        NetworkedRun server = Starling.server(spec, DIGITS.test(), ServerSettings.loopback(0, "", ""))) {
      assertThat(server.initialParameters().get("centroids").shape()).containsExactly(10, 64);
      for (int i = 0; i < 3; i++) {
        Dataset local = DIGITS.train().subset(shards.get(i).rows());
        ClientSettings cs = ClientSettings.of("127.0.0.1", server.port(), "client-" + i);
        // client 0 brings the learner itself; the others resolve the model the server names through ServiceLoader
        FederationClient c = i == 0 ? Starling.client(cs, Centroids::new, local, 1) : Starling.client(cs, local, 1);
        clients.add(CompletableFuture.supplyAsync(() -> {
          try (c) {
            c.run();
            return c.tasksDone();
          }
        }, threads));
      }
      List<RoundRecord> rounds = server.run(RoundListener.NONE).history().rounds();
      assertThat(rounds).hasSize(3).allMatch(r -> r.metric("clients_aggregated") == 3);
      assertThat(rounds.get(2).metric("test_accuracy")).isGreaterThan(0.85);
      assertThat(server.strategy().describe()).contains("Median");
    }
    for (CompletableFuture<Integer> c : clients) {
      assertThat(c.get(30, TimeUnit.SECONDS)).isGreaterThanOrEqualTo(3);
    }
  }
}
