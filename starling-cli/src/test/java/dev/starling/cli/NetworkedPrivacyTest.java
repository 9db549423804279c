package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.starling.privacy.accounting.RdpAccountant;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** Central DP on a networked server: configured in the run file, reported per round, enforced. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class NetworkedPrivacyTest {
  @TempDir
  Path dir;

  private Path config(String... lines) throws Exception {
    return Files.writeString(dir.resolve("run.properties"), String.join("\n", lines) + "\n");
  }

  /** Runs a server with {@code cfg} and three in-process clients on digits; returns the metrics lines. */
  private List<JsonNode> runFederation(Path cfg) throws Exception {
    Path port = dir.resolve("port");
    Path metrics = dir.resolve("m.jsonl");
    Files.deleteIfExists(port);
    Files.deleteIfExists(metrics);
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
    for (int i = 0; i < 3; i++) {
      String id = "c" + i;
      String shard = i + "/3";
      Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", id, "--data", "digits", "--seed", "3",
          "--shard", shard, "--give-up-after", "20s"));
      t.setDaemon(true);
      t.start();
    }
    server.join(TimeUnit.SECONDS.toMillis(80));
    assertThat(server.isAlive()).as("server finished").isFalse();
    assertThat(code[0]).isZero();
    ObjectMapper json = new ObjectMapper();
    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(metrics, StandardCharsets.UTF_8)) {
      rows.add(json.readTree(line));
    }
    return rows;
  }

  @Test
  void centralDp_serverReportsEpsilonAndStopsBeforeTheBudgetIsSpent() throws Exception {
    Path cfg = config("model = logreg", "dataset = digits", "rounds = 10", "fraction-fit = 1.0", "min-fit-clients = 3",
        "min-successful-clients = 3", "round-timeout = 30s", "availability-timeout = 60s", "seed = 3",
        "dp = central:1.0,2.0", "target-epsilon = 5", "dp-noise = seeded");
    List<JsonNode> rows = runFederation(cfg);
    // every client in every round: q = 1, so each round costs the same and the budget lasts a few rounds
    assertThat(rows.size()).isBetween(1, 9);
    double previous = 0;
    for (JsonNode r : rows) {
      double eps = r.get("epsilon").asDouble();
      assertThat(eps).isGreaterThan(previous).isLessThanOrEqualTo(5.0);
      assertThat(r.get("delta").asDouble()).isEqualTo(1e-5);
      previous = eps;
    }
    // it stopped because one more round would have gone over the target (q = 3/3 = 1, z = 2)
    RdpAccountant rdp = new RdpAccountant();
    assertThat(rdp.epsilon(1.0, 2.0, rows.size(), 1e-5)).isCloseTo(previous, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(rdp.epsilon(1.0, 2.0, rows.size() + 1, 1e-5)).isGreaterThan(5.0);
  }

  @Test
  void localDp_clientsClipAndNoiseWhileTheServerAccountsEveryRound() throws Exception {
    Path cfg = config("model = logreg", "dataset = digits", "rounds = 3", "fraction-fit = 1.0", "min-fit-clients = 3",
        "min-successful-clients = 3", "round-timeout = 30s", "availability-timeout = 60s", "seed = 3",
        "dp = local:0.5,4.0");
    List<JsonNode> rows = runFederation(cfg);
    assertThat(rows).hasSize(3);
    RdpAccountant rdp = new RdpAccountant();
    for (int i = 0; i < 3; i++) {
      assertThat(rows.get(i).get("clients_succeeded").asInt()).isEqualTo(3);
      // per client, every round, replacement adjacency: a Gaussian of multiplier sigma / 2, no sampling
      assertThat(rows.get(i).get("epsilon").asDouble())
          .isCloseTo(rdp.epsilon(1.0, 2.0, i + 1, 1e-5), org.assertj.core.data.Offset.offset(1e-9));
    }
    // the clients really added the noise: N(0, 2^2) per weight leaves a much worse model than the same run without it
    double noisy = rows.get(2).get("test_accuracy").asDouble();
    List<JsonNode> plain = runFederation(config("model = logreg", "dataset = digits", "rounds = 3", "fraction-fit = 1.0",
        "min-fit-clients = 3", "min-successful-clients = 3", "round-timeout = 30s", "availability-timeout = 60s", "seed = 3"));
    assertThat(plain.get(2).has("epsilon")).isFalse();
    assertThat(noisy).isLessThan(plain.get(2).get("test_accuracy").asDouble() - 0.2);
  }

  @Test
  void badPrivacySettingsOnTheServerAreRefusedWithTheReason() throws Exception {
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config",
        config("model = logreg", "dp = sgd:1,1").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("'dp' must be").contains("local:CLIP,SIGMA").contains("dp-sgd");

    CliRun t = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config",
        config("model = logreg", "target-epsilon = 3").toString());
    assertThat(t.code()).isEqualTo(2);
    assertThat(t.err()).contains("'target-epsilon' needs dp (central:CLIP,Z");

    CliRun u = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config",
        config("model = logreg", "dp = central-adaptive:0.5,1", "secagg = 0.3").toString());
    assertThat(u.code()).isEqualTo(2); // central:CLIP,Z with secagg works over gRPC (clients clip); adaptive cannot
    assertThat(u.err()).contains("central-adaptive with secagg").contains("central:CLIP,Z");
  }

  @Test
  void budgetTooSmallForOneRound_refusedBeforeListening() throws Exception {
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--config",
        config("model = logreg", "min-fit-clients = 3", "dp = central:1,0.5", "target-epsilon = 0.5").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("refusing to start");
  }
}
