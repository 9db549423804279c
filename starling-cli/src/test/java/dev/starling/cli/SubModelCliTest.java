package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code server} with {@code submodel = fisher} and two {@code client} processes' worth of clients over loopback. */
class SubModelCliTest {
  @TempDir
  Path dir;

  @Test
  @org.junit.jupiter.api.Timeout(value = 120, unit = java.util.concurrent.TimeUnit.SECONDS)
  void networkedServer_trainsFisherSubModels_andAveragesThemPositionwise() throws Exception {
    Path cfg = Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = mlp:16", "dataset = digits",
        "standardize = off", "rounds = 2", "min-clients = 2", "min-successful-clients = 2", "round-timeout = 30s",
        "availability-timeout = 60s", "seed = 3", "submodel = fisher", "keep = 0.5", "full-model-every = 2") + "\n");
    Path port = dir.resolve("port");
    Path metrics = dir.resolve("metrics.jsonl");
    int[] code = {-1};
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        port.toString(), "--config", cfg.toString(), "--metrics-out", metrics.toString()));
    server.start();
    long end = System.nanoTime() + java.util.concurrent.TimeUnit.SECONDS.toNanos(40);
    while (!Files.exists(port)) {
      assertThat(System.nanoTime()).as("server never wrote its port").isLessThan(end);
      Thread.sleep(50);
    }
    String address = "127.0.0.1:" + Files.readString(port).strip();
    for (String[] c : new String[][] {{"c0", "0/2"}, {"c1", "1/2"}}) {
      Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", c[0], "--data", "digits", "--seed",
          "3", "--shard", c[1], "--standardize", "off", "--give-up-after", "20s"));
      t.setDaemon(true);
      t.start();
    }
    server.join(java.util.concurrent.TimeUnit.SECONDS.toMillis(90));
    assertThat(server.isAlive()).isFalse();
    assertThat(code[0]).isZero();
    List<String> rounds = Files.readAllLines(metrics);
    assertThat(rounds).hasSize(2);
    for (String r : rounds) {
      // each client trained half of the hidden layer (plus every output bias): well below the whole model
      double trained = Double.parseDouble(r.replaceAll(".*\"mean_trained_fraction\":([0-9.eE-]+).*", "$1"));
      assertThat(trained).as(r).isBetween(0.3, 0.8);
      assertThat(r).contains("\"clients_aggregated\":2");
    }
  }
}
