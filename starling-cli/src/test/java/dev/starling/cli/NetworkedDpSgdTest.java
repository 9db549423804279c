package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.starling.core.random.RandomSource;
import dev.starling.data.LoadedData;
import dev.starling.privacy.accounting.RdpAccountant;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioners;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** DP-SGD over gRPC: the clients' learners apply it, the server accounts each client's epsilon and checkpoints it. */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NetworkedDpSgdTest {
  private static final int BATCH = 32;
  private static final double Z = 1.1;
  private static final double DELTA = 1e-5;

  @TempDir
  Path dir;

  private Path config(String... lines) throws Exception {
    return Files.writeString(dir.resolve("run.properties"), String.join("\n", lines) + "\n");
  }

  private static String[] base(int rounds, int minClients) {
    return new String[] {"model = logreg", "dataset = digits", "rounds = " + rounds, "fraction = 1.0",
        "min-clients = " + minClients, "min-successful-clients = " + minClients, "round-timeout = 30s",
        "availability-timeout = 60s", "seed = 3", "local-epochs = 1", "batch-size = " + BATCH, "dp-sgd = 1.0," + Z,
        "dp-noise = seeded", "checkpoint-dir = " + "CKPT"};
  }

  /**
   * Runs a server with {@code cfg} and one in-process client per entry of {@code learners} (shard i of 3 of
   * digits); returns the metrics lines and, in {@code clientCodes}, each client's exit code.
   */
  private List<JsonNode> runFederation(Path cfg, List<String> learners, int[] clientCodes) throws Exception {
    Path port = dir.resolve("port");
    Path metrics = dir.resolve("m.jsonl");
    Files.deleteIfExists(port);
    int[] code = {-1};
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        port.toString(), "--config", cfg.toString(), "--metrics-out", metrics.toString()));
    server.start();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(port) && System.nanoTime() < end) {
      Thread.sleep(20);
    }
    assertThat(port).exists();
    String address = "127.0.0.1:" + Files.readString(port).strip();
    List<Thread> clients = new ArrayList<>();
    for (int i = 0; i < learners.size(); i++) {
      String id = "c" + i;
      String shard = i + "/3";
      String learner = learners.get(i);
      int k = i;
      Thread t = new Thread(() -> clientCodes[k] = Main.execute("client", "--server", address, "--id", id, "--data", "digits",
          "--seed", "3", "--shard", shard, "--learner", learner, "--give-up-after", "20s"));
      t.setDaemon(true);
      t.start();
      clients.add(t);
    }
    server.join(TimeUnit.SECONDS.toMillis(100));
    assertThat(server.isAlive()).as("server finished").isFalse();
    assertThat(code[0]).isZero();
    for (Thread t : clients) {
      t.join(TimeUnit.SECONDS.toMillis(20));
    }
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      rows.add(json.readTree(line));
    }
    return rows;
  }

  /** The three clients' training-set sizes, as 'client --shard i/3 --seed 3' computes them. */
  private static int[] shardSizes() throws Exception {
    DataOptions data = picocli.CommandLine.populateCommand(new DataOptions(), "--dataset", "digits");
    LoadedData loaded = data.load(3, Optional.empty());
    List<ClientShard> shards = Partitioners.parse("iid").partition(loaded.train(), 3,
        RandomSource.seeded(3).derive(ClientCommand.PARTITION_STREAM));
    return shards.stream().mapToInt(s -> s.rows().length).toArray();
  }

  /** What the server must report after {@code rounds} rounds in which every client took part. */
  private static double expectedEpsilon(int[] sizes, int rounds) {
    RdpAccountant rdp = new RdpAccountant();
    double worst = 0;
    for (int n : sizes) {
      long steps = (long) rounds * ((n + BATCH - 1) / BATCH);
      worst = Math.max(worst, rdp.epsilon((double) BATCH / n, Z, steps, DELTA));
    }
    return worst;
  }

  private Path withCheckpoints(String... lines) throws Exception {
    Path ckpt = dir.resolve("ckpt");
    Files.createDirectories(ckpt);
    String[] l = lines.clone();
    for (int i = 0; i < l.length; i++) {
      l[i] = l[i].replace("CKPT", ckpt.toString().replace("\\", "/"));
    }
    return config(l);
  }

  @Test
  void dpSgd_serverReportsTheAccountantsEpsilonEveryRoundAndAResumeContinuesIt() throws Exception {
    int[] sizes = shardSizes();
    int[] codes = new int[3];
    List<JsonNode> first = runFederation(withCheckpoints(base(2, 3)), List.of("sgd", "sgd", "sgd"), codes);
    assertThat(first).hasSize(2);
    for (int r = 0; r < 2; r++) {
      assertThat(first.get(r).get("clients_succeeded").asInt()).isEqualTo(3);
      assertThat(first.get(r).get("epsilon").asDouble()).isCloseTo(expectedEpsilon(sizes, r + 1), Offset.offset(1e-9));
      assertThat(first.get(r).get("delta").asDouble()).isEqualTo(DELTA);
    }
    // the same server resumed from its checkpoint for two more rounds: the budget goes on from round 2's
    List<JsonNode> resumed = runFederation(withCheckpoints(base(4, 3)), List.of("sgd", "sgd", "sgd"), codes);
    assertThat(resumed).hasSize(4);
    for (int r = 2; r < 4; r++) {
      assertThat(resumed.get(r).get("round").asInt()).isEqualTo(r + 1);
      assertThat(resumed.get(r).get("epsilon").asDouble()).isCloseTo(expectedEpsilon(sizes, r + 1), Offset.offset(1e-9));
    }
    assertThat(resumed.get(3).get("epsilon").asDouble()).isGreaterThan(first.get(1).get("epsilon").asDouble());
  }

  @Test
  void aClientWhoseTrainerCannotApplyDpSgdLeavesAndIsNeverAggregated() throws Exception {
    int[] codes = {-1, -1, -1};
    List<JsonNode> rows = runFederation(withCheckpoints(base(2, 2)), List.of("sgd", "sgd", "constant"), codes);
    assertThat(codes[2]).as("the constant learner refuses DP-SGD").isNotZero();
    assertThat(codes[0]).isZero();
    assertThat(rows).hasSize(2);
    for (JsonNode r : rows) {
      assertThat(r.get("clients_succeeded").asInt()).isEqualTo(2);
      assertThat(r.get("epsilon").asDouble()).isPositive();
    }
  }

  @Test
  void dpSgdWithSecureAggregationOrWithoutItsSettingIsRefusedBeforeListening() throws Exception {
    CliRun s = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config",
        config("model = logreg", "dp-sgd = 1,1", "secagg = 0.3").toString());
    assertThat(s.code()).isEqualTo(2);
    assertThat(s.err()).contains("'dp-sgd'").contains("sees only the masked sum");

    CliRun d = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config",
        config("model = logreg", "dp-sgd-dataset-size = 100").toString());
    assertThat(d.code()).isEqualTo(2);
    assertThat(d.err()).contains("'dp-sgd-dataset-size' needs 'dp-sgd = CLIP,Z'");
  }

  @Test
  void declaredDatasetSize_aBudgetTooSmallForOneRoundIsRefusedBeforeRoundOne() throws Exception {
    // 100 examples, batch 32: q = 0.32 and 4 steps; with z = 1.1 one round costs far more than epsilon 0.5
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config",
        config("model = logreg", "min-clients = 3", "dp-sgd = 1.0,1.1", "batch-size = 32", "local-epochs = 1",
            "target-epsilon = 0.5", "dp-sgd-dataset-size = 100").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("refusing to start").contains("100 examples");
  }
}
