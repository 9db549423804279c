package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Secure aggregation with real processes on 127.0.0.1: a server and five clients, each its own JVM,
 * training on the bundled digits. Client c4 crashes (halts its JVM) in the last round right after the server
 * has its masked input (before it sends unmasking shares); the round still completes with all five updates in the
 * sum, recovered from the other clients' shares, and the model reaches the accuracy of plain FedAvg runs.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class SecureAggregationDeploymentTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private ChildJvms jvms;

  @BeforeEach
  void jvms() {
    jvms = new ChildJvms(dir, "-XX:+UseSerialGC");
  }

  @AfterEach
  void killAll() {
    jvms.close();
  }

  private Process start(String name, String... args) throws IOException {
    return jvms.start(name, args);
  }

  private String log(String name) throws IOException {
    return jvms.log(name);
  }

  @Test
  void fiveClientProcessesAggregateSecurelyAndSurviveADropOutAfterMasking() throws Exception {
    Path config = dir.resolve("run.properties");
    Files.writeString(config, String.join("\n",
        "model = mlp:32", "dataset = digits", "rounds = 3", "fraction-fit = 1.0", "min-fit-clients = 5",
        "min-available-clients = 5", "min-successful-clients = 3", "round-timeout = 40s", "availability-timeout = 60s",
        "local-epochs = 2", "batch-size = 16", "lr = 0.1", "heartbeat = 1s", "seed = 3",
        "secagg = 0.3,8      # 5 clients: threshold 3, one drop-out tolerated", "secagg-phase-timeout = 20s", ""));
    Process server = start("server", "server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        dir.resolve("port").toString(), "--config", config.toString(), "--metrics-out", dir.resolve("metrics.jsonl").toString());
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Files.exists(dir.resolve("port")) && System.nanoTime() < end && server.isAlive()) {
      Thread.sleep(50);
    }
    assertThat(dir.resolve("port")).as(log("server")).exists();
    String port = Files.readString(dir.resolve("port")).strip();
    List<Process> clients = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      List<String> args = new ArrayList<>(List.of("client", "--server", "127.0.0.1:" + port, "--id", "c" + i, "--data",
          "digits", "--seed", "3", "--shard", i + "/5", "--give-up-after", "30s"));
      if (i == 4) {
        args.addAll(List.of("--drop-before-unmask", "3"));
      }
      clients.add(start("client" + i, args.toArray(String[]::new)));
    }

    assertThat(server.waitFor(100, TimeUnit.SECONDS)).as("server finishes").isTrue();
    String serverLog = log("server");
    assertThat(server.exitValue()).as(serverLog).isZero();
    assertThat(serverLog).contains("secagg    on").contains("SecureAggregation(over gRPC")
        .contains("client c4 sent its masked input but no unmask shares");

    List<JsonNode> rows = new ArrayList<>();
    for (String line : Files.readAllLines(dir.resolve("metrics.jsonl"), StandardCharsets.UTF_8)) {
      if (!line.isBlank()) {
        rows.add(JSON.readTree(line));
      }
    }
    assertThat(rows).extracting(r -> r.get("round").asInt()).containsExactly(1, 2, 3);
    for (JsonNode r : rows) {
      assertThat(r.get("clients_succeeded").asInt()).as(r.toString()).isEqualTo(5);
      // five masked inputs in the sum, unmasked; the server never got an update in the clear
      assertThat(r.get("clients_aggregated").asInt()).as(r.toString()).isEqualTo(5);
      assertThat(r.has("secagg_unmask_failed")).as(r.toString()).isFalse();
      assertThat(r.get("secagg_bytes_up").asDouble()).isGreaterThan(5 * 4 * 2410.0);
    }
    assertThat(rows.get(0).get("secagg_dropped_after_masking").asInt()).isZero();
    // c4 left in round 3 after masking: its update is still in the sum (5 aggregated), recovered from shares
    assertThat(rows.get(2).get("secagg_dropped_after_masking").asInt()).isEqualTo(1);
    assertThat(rows.get(2).get("test_accuracy").asDouble()).isGreaterThan(0.85);
    assertThat(rows.get(2).get("test_accuracy").asDouble()).isGreaterThan(rows.get(0).get("test_accuracy").asDouble());

    for (int i = 0; i < 4; i++) {
      assertThat(clients.get(i).waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(clients.get(i).exitValue()).as(log("client" + i)).isZero();
    }
    assertThat(clients.get(4).waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(clients.get(4).exitValue()).isEqualTo(3); // halted, as a crash: the server got no goodbye
    assertThat(log("client4")).contains("crashing before unmasking round 3");
  }
}
