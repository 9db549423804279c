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
    return config(6);
  }

  private Path config(int rounds) throws Exception {
    return Files.writeString(dir.resolve("run-" + rounds + ".properties"), String.join("\n", "model = logreg",
        "dataset = digits", "standardize = off", "rounds = " + rounds, "min-clients = 3", "fraction = 1.0",
        "round-timeout = 30s", "availability-timeout = 60s", "seed = 3") + "\n");
  }

  @Test
  void asyncModeWithALedger_orABadEventThreshold_isBadUsageBeforeListening() throws Exception {
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
    Path metrics = dir.resolve("metrics.jsonl");
    assertThat(serve(config(), metrics)).isZero();
    List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(6);
    for (int i = 0; i < 6; i++) {
      assertThat(lines.get(i)).contains("\"model_version\":" + (i + 1)).contains("\"staleness_max\":")
          .contains("\"clock_seconds\":");
    }
    double acc = Double.parseDouble(lines.get(5).replaceAll(".*\"test_accuracy\":([0-9.Ee-]+).*", "$1"));
    assertThat(acc).isGreaterThan(0.8);
  }

  /**
   * A buffered server stopped after aggregation 3 (what a kill -9 right after it leaves on disk: the atomically
   * written checkpoint) and started again on the same checkpoint directory resumes at aggregation 4 from model
   * version 3 with its history and clock, and finishes the budget.
   */
  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void bufferedOverGrpc_withACheckpointDir_resumesAtTheNextAggregationFromTheSavedVersion() throws Exception {
    Path ck = dir.resolve("ck");
    Path metrics = dir.resolve("metrics.jsonl");
    assertThat(serve(config(3), metrics, "--checkpoint-dir", ck.toString())).isZero();
    dev.starling.server.RunState at3 = new dev.starling.server.CheckpointStore(ck).latest().orElseThrow();
    assertThat(at3.round()).isEqualTo(3);
    dev.starling.server.AsyncState a = at3.async().orElseThrow();
    assertThat(a.modelVersion()).isEqualTo(3);
    assertThat(a.clockSeconds()).isPositive();
    assertThat(at3.metadata()).containsEntry("sync", "buffered:2,1.0");

    // another mode on the same directory is bad usage
    CliRun other = CliRun.of("server", "--port", "0", "--config", config(5).toString(), "--sync", "async",
        "--checkpoint-dir", ck.toString());
    assertThat(other.code()).isEqualTo(2);
    assertThat(other.err()).contains("an asynchronous run (sync buffered:2,1.0)").contains("sync mode is async");

    assertThat(serve(config(5), metrics, "--checkpoint-dir", ck.toString())).isZero();
    List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(5);
    for (int i = 0; i < 5; i++) {
      assertThat(lines.get(i)).contains("\"round\":" + (i + 1)).contains("\"model_version\":" + (i + 1));
    }
    double clock4 = Double.parseDouble(lines.get(3).replaceAll(".*\"clock_seconds\":([0-9.Ee-]+).*", "$1"));
    assertThat(clock4).isGreaterThan(a.clockSeconds());
    assertThat(new dev.starling.server.CheckpointStore(ck).latest().orElseThrow().async().orElseThrow().modelVersion())
        .isEqualTo(5);
  }

  /** Runs a buffered:2 server with three client processes' worth of clients; returns the server's exit code. */
  private int serve(Path config, Path metrics, String... more) throws Exception {
    Path port = dir.resolve("port");
    Files.deleteIfExists(port);
    int[] code = {-1};
    List<String> args = new java.util.ArrayList<>(List.of("server", "--host", "127.0.0.1", "--port", "0",
        "--port-file", port.toString(), "--config", config.toString(), "--sync", "buffered:2",
        "--metrics-out", metrics.toString()));
    args.addAll(List.of(more));
    Thread server = new Thread(() -> code[0] = Main.execute(args.toArray(String[]::new)));
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
    return code[0];
  }
}
