package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The deployment drill with real processes on 127.0.0.1: a server and three clients, each its own JVM.
 * One client is killed (SIGKILL) in the middle of a round; after round 3 the server is killed (SIGKILL)
 * and restarted on the same port; the surviving clients reconnect on their own and the run finishes all
 * five rounds from the checkpoint, with nothing already aggregated lost.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class NetworkedDeploymentTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  private ChildJvms jvms;

  @BeforeEach
  void jvms() {
    jvms = new ChildJvms(dir);
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

  private List<JsonNode> metrics() throws IOException {
    Path f = dir.resolve("metrics.jsonl");
    List<JsonNode> out = new ArrayList<>();
    if (!Files.exists(f)) {
      return out;
    }
    for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
      if (!line.isBlank() && line.endsWith("}")) {
        out.add(JSON.readTree(line));
      }
    }
    return out;
  }

  private void await(String what, Duration limit, BooleanSupplier cond) throws Exception {
    long end = System.nanoTime() + limit.toNanos();
    while (!cond.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("timed out waiting for " + what + "\nserver log:\n" + log("server") + log("server2"));
      }
      Thread.sleep(50);
    }
  }

  private boolean metricsHave(int rounds) {
    try {
      return metrics().size() >= rounds;
    } catch (IOException e) {
      return false;
    }
  }

  @Test
  void serverAndThreeClientProcessesSurviveAClientKillAndAServerKill() throws Exception {
    Path config = dir.resolve("run.properties");
    Files.writeString(config, String.join("\n",
        "model = mlp:32", "dataset = digits", "rounds = 5", "fraction-fit = 1.0", "min-fit-clients = 2",
        "min-available-clients = 2", "min-successful-clients = 2", "round-timeout = 20s", "availability-timeout = 60s",
        "local-epochs = 2", "batch-size = 16", "lr = 0.1", "heartbeat = 1s", "seed = 3", ""));
    String[] serverArgs = {"server", "--host", "127.0.0.1", "--port", "0", "--port-file", dir.resolve("port").toString(),
        "--config", config.toString(), "--checkpoint-dir", dir.resolve("ckpt").toString(),
        "--metrics-out", dir.resolve("metrics.jsonl").toString(), "--client-metrics"};
    Process server = start("server", serverArgs);
    await("the server to listen", Duration.ofSeconds(30), () -> Files.exists(dir.resolve("port")));
    String port = Files.readString(dir.resolve("port")).strip();

    List<Process> clients = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      clients.add(start("client" + i, "client", "--server", "127.0.0.1:" + port, "--id", "c" + i, "--data", "digits",
          "--seed", "3", "--shard", i + "/3", "--delay-fit", "600", "--give-up-after", "60s"));
    }

    // kill client 2 while round 2 is in flight (every client sleeps 600 ms before training)
    await("round 1", Duration.ofSeconds(60), () -> metricsHave(1));
    await("round 2 to start", Duration.ofSeconds(20), () -> {
      try {
        return log("server").contains("round 2: 3 clients selected");
      } catch (IOException e) {
        return false;
      }
    });
    Thread.sleep(250);
    clients.get(2).destroyForcibly().waitFor(10, TimeUnit.SECONDS);

    // kill -9 the server once round 3 is recorded and checkpointed
    await("round 3", Duration.ofSeconds(60), () -> metricsHave(3));
    Path ckpt3 = dir.resolve("ckpt").resolve("checkpoint-000003.ckpt");
    await("checkpoint 3", Duration.ofSeconds(10), () -> Files.exists(ckpt3));
    server.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    List<JsonNode> beforeCrash = metrics();

    // restart on the same port; the clients must find it again by themselves
    String[] again = serverArgs.clone();
    again[4] = port;
    Process server2 = start("server2", again);
    assertThat(server2.waitFor(90, TimeUnit.SECONDS)).as("restarted server finishes").isTrue();
    String log2 = log("server2");
    assertThat(server2.exitValue()).as(log2).isZero();
    assertThat(log2).contains("resuming  from checkpoint of round 3").contains("round budget of 5 reached");
    assertThat(log2).doesNotContain("round 1: ").doesNotContain("round 3: ");

    List<JsonNode> rows = metrics();
    assertThat(rows).extracting(r -> r.get("round").asInt()).containsExactly(1, 2, 3, 4, 5);
    // nothing aggregated before the crash was lost or changed
    for (int r = 0; r < 3; r++) {
      assertThat(rows.get(r).get("test_accuracy").asDouble()).isEqualTo(beforeCrash.get(r).get("test_accuracy").asDouble());
    }
    // the killed client is recorded with its id and reason, and the round still completed with the others
    JsonNode round2 = rows.get(1);
    assertThat(round2.get("clients_selected").asInt()).isEqualTo(3);
    assertThat(round2.get("clients_succeeded").asInt()).isEqualTo(2);
    assertThat(round2.get("failures").get(0).get("client").asText()).isEqualTo("c2");
    assertThat(round2.get("failures").get(0).get("code").asText()).isEqualTo("UNAVAILABLE");
    assertThat(round2.get("seconds").asDouble()).isLessThan(20); // not stalled until the round deadline
    assertThat(rows.get(4).get("clients_succeeded").asInt()).isEqualTo(2);
    // --client-metrics: a row per arrived update in rounds this process ran; rounds replayed from the checkpoint
    // after the restart carry none
    assertThat(rows.get(1).has("clients")).isFalse();
    JsonNode perClient = rows.get(4).get("clients");
    assertThat(perClient).extracting(c -> c.get("client").asText()).containsExactly("c0", "c1");
    for (JsonNode c : perClient) {
      assertThat(c.get("accepted").asBoolean()).isTrue();
      assertThat(c.get("examples").asLong()).isPositive();
      assertThat(c.get("bytes_up").asLong()).isPositive();
      assertThat(c.get("seconds").asDouble()).isPositive();
    }
    assertThat(rows.get(4).get("test_accuracy").asDouble()).isGreaterThan(0.85);

    for (int i = 0; i < 2; i++) {
      assertThat(clients.get(i).waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(clients.get(i).exitValue()).as(log("client" + i)).isZero();
      assertThat(log("client" + i)).contains("run complete");
    }
  }
}
