package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.starling.core.io.ModelArchive;
import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.data.Preprocessing;
import dev.starling.data.Standardizer;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Agreed standardisation over gRPC: the clients' statistics are summed once and used by everyone, model file included. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class NetworkedStandardizationTest {
  @TempDir
  Path dir;

  @Test
  void csvRun_modelCarriesThePooledStatisticsOfTheClientsAndEvaluatesAsTheServerReported() throws Exception {
    Path cfg = Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = logreg",
        "dataset = breast-cancer", "rounds = 3", "fraction = 1.0", "min-clients = 3", "min-successful-clients = 3",
        "round-timeout = 30s", "availability-timeout = 60s", "seed = 5", "local-epochs = 1", "batch-size = 16") + "\n");
    Path port = dir.resolve("port");
    Path metrics = dir.resolve("m.jsonl");
    Path model = dir.resolve("model.bin");
    int[] code = {-1};
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        port.toString(), "--config", cfg.toString(), "--metrics-out", metrics.toString(), "--model-out", model.toString()));
    server.start();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(port) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    String address = "127.0.0.1:" + Files.readString(port).strip();
    for (int i = 0; i < 3; i++) {
      String id = "c" + i;
      String shard = i + "/3";
      Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", id, "--data", "breast-cancer",
          "--seed", "5", "--shard", shard, "--give-up-after", "20s"));
      t.setDaemon(true);
      t.start();
    }
    server.join(TimeUnit.SECONDS.toMillis(100));
    assertThat(server.isAlive()).as("server finished").isFalse();
    assertThat(code[0]).isZero();

    // the pooled statistics of the three clients' raw rows, as 'client --shard i/3 --seed 5' holds them
    LoadedData loaded = picocli.CommandLine.populateCommand(new DataOptions(), "--dataset", "breast-cancer")
        .load(5, Optional.empty());
    List<ClientShard> shards = Partitioners.parse("iid").partition(loaded.train(), 3,
        RandomSource.seeded(5).derive(ClientCommand.PARTITION_STREAM));
    Standardizer.Statistics pooled = null;
    for (ClientShard s : shards) {
      Standardizer.Statistics one = Standardizer.Statistics.of(loaded.train().subset(s.rows()));
      pooled = pooled == null ? one : pooled.plus(one);
    }
    Standardizer expected = pooled.standardizer();
    // not what any single client or the test set would have fitted
    assertThat(Standardizer.fit(loaded.test()).mean()).isNotEqualTo(expected.mean());

    ModelArchive archive = ModelFiles.read(model);
    Preprocessing prep = Preprocessing.read(archive);
    assertThat(prep.legacyPerParty()).isFalse();
    assertThat(prep.standardizer()).isPresent();
    assertThat(prep.standardizer().get().mean()).containsExactly(expected.mean());
    assertThat(prep.standardizer().get().std()).containsExactly(expected.std());
    assertThat(prep.schema()).isPresent();

    // the saved model scores the server's test split exactly as the server's evaluator did in the last round
    List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertThat(lines).hasSize(3);
    double reported = last.get("test_accuracy").asDouble();
    assertThat(reported).isGreaterThan(0.85);
    CliRun eval = CliRun.of("evaluate", "--model", model.toString(), "--dataset", "breast-cancer", "--seed", "5",
        "--split", "test");
    assertThat(eval.code()).isZero();
    assertThat(eval.out()).contains(String.format(Locale.ROOT, "accuracy  %.4f", reported));
    Dataset test = prep.apply(loaded.test());
    assertThat(dev.starling.learners.Evaluation.evaluate(dev.starling.learners.ModelSpec.parse("logreg"),
        archive.parameters(), test).metrics().getOrNaN("accuracy")).isEqualTo(reported);
  }

  @Test
  void standardisationWithSecureAggregation_isRefusedBeforeListening() throws Exception {
    Path cfg = Files.writeString(dir.resolve("s.properties"), "model = logreg\ndataset = breast-cancer\nsecagg = 0.3\n");
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config", cfg.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("'standardize'").contains("'secagg'").contains("in the clear");
  }
}
