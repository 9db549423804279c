package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

class ServerSyncCliTest {
  @TempDir
  Path dir;

  private Path config() throws Exception {
    return Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = logreg", "dataset = digits",
        "standardize = off", "rounds = 6", "min-clients = 3", "fraction = 1.0", "round-timeout = 30s",
        "availability-timeout = 60s", "seed = 3") + "\n");
  }

  @Test
  void asyncModeWithACheckpointDirOrALedger_orABadEventThreshold_isBadUsageBeforeListening() throws Exception {
    CliRun ckpt = CliRun.of("server", "--port", "0", "--config", config().toString(), "--sync", "buffered:2",
        "--checkpoint-dir", dir.resolve("ck").toString());
    assertThat(ckpt.code()).isEqualTo(2);
    assertThat(ckpt.err()).contains("--checkpoint-dir").contains("--sync sync");
    CliRun ledger = CliRun.of("server", "--port", "0", "--config", config().toString(), "--sync", "async",
        "--ledger", dir.resolve("l").toString());
    assertThat(ledger.code()).isEqualTo(2);
    assertThat(ledger.err()).contains("--ledger");
    CliRun event = CliRun.of("server", "--port", "0", "--config", config().toString(), "--sync", "event:-0.1");
    assertThat(event.code()).isEqualTo(2);
    assertThat(event.err()).contains("sync").contains("THRESHOLD >= 0");
    CliRun bound = CliRun.of("server", "--port", "0", "--config", config().toString(), "--staleness-bound", "2");
    assertThat(bound.code()).isEqualTo(2);
    assertThat(bound.err()).contains("staleness-bound");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void bufferedOverGrpc_threeClientProcesses_versionsAdvanceAndTheModelLearns() throws Exception {
    Path port = dir.resolve("port");
    Path metrics = dir.resolve("metrics.jsonl");
    int[] code = {-1};
    String cfg = config().toString();
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0",
        "--port-file", port.toString(), "--config", cfg, "--sync", "buffered:2",
        "--metrics-out", metrics.toString()));
    server.start();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (!Files.exists(port)) {
      assertThat(System.nanoTime()).as("server never wrote its port").isLessThan(end);
      Thread.sleep(50);
    }
    String address = "127.0.0.1:" + Files.readString(port).strip();
    for (String[] c : new String[][] {{"c0", "0/3"}, {"c1", "1/3"}, {"c2", "2/3"}}) {
      Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", c[0], "--data", "digits", "--seed",
          "3", "--shard", c[1], "--standardize", "off", "--give-up-after", "20s"));
      t.setDaemon(true);
      t.start();
    }
    server.join(TimeUnit.SECONDS.toMillis(90));
    assertThat(server.isAlive()).isFalse();
    assertThat(code[0]).isZero();
    List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(6);
    for (int i = 0; i < 6; i++) {
      assertThat(lines.get(i)).contains("\"model_version\":" + (i + 1)).contains("\"staleness_max\":")
          .contains("\"clock_seconds\":");
    }
    double acc = Double.parseDouble(lines.get(5).replaceAll(".*\"test_accuracy\":([0-9.Ee-]+).*", "$1"));
    assertThat(acc).isGreaterThan(0.8);
  }
}
