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

/** {@code server --lane-port}: a run whose chunks travel on byte lanes, and the refusal with TLS. */
class ByteLaneCliTest {
  @TempDir
  Path dir;

  private Path config() throws Exception {
    return Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = logreg", "dataset = digits",
        "standardize = off", "rounds = 3", "min-clients = 3", "fraction = 1.0", "round-timeout = 30s",
        "availability-timeout = 60s", "seed = 3") + "\n");
  }

  @Test
  void aLaneWithTlsIsBadUsageBeforeListening() throws Exception {
    Path cert = Files.writeString(dir.resolve("cert.pem"), "unused");
    Path key = Files.writeString(dir.resolve("key.pem"), "unused");
    CliRun r = CliRun.of("server", "--port", "0", "--config", config().toString(), "--lane-port", "0", "--tls-cert",
        cert.toString(), "--tls-key", key.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--lane-port").contains("plaintext").contains("TLS");
  }

  @Test
  @Timeout(value = 120, unit = TimeUnit.SECONDS)
  void threeClientsTrainOverByteLanesAndTheModelLearns() throws Exception {
    Path port = dir.resolve("port");
    Path metrics = dir.resolve("metrics.jsonl");
    for (String[] c : new String[][] {{"c0", "0/3"}, {"c1", "1/3"}, {"c2", "2/3"}}) {
      Thread t = new Thread(() -> {
        try {
          while (!Files.exists(port)) {
            Thread.sleep(50);
          }
          Main.execute("client", "--server", "127.0.0.1:" + Files.readString(port).strip(), "--id", c[0], "--data",
              "digits", "--seed", "3", "--shard", c[1], "--standardize", "off", "--give-up-after", "20s");
        } catch (Exception e) {
          throw new IllegalStateException(e);
        }
      });
      t.setDaemon(true);
      t.start();
    }
    CliRun r = CliRun.of("server", "--host", "127.0.0.1", "--port", "0", "--port-file", port.toString(), "--config",
        config().toString(), "--lane-port", "0", "--metrics-out", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("lanes +byte lane on 127\\.0\\.0\\.1:\\d+");
    assertThat(r.err()).doesNotContain("no byte lane").doesNotContain("byte lane failed");
    List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(3);
    double acc = Double.parseDouble(lines.get(2).replaceAll(".*\"test_accuracy\":([0-9.Ee-]+).*", "$1"));
    assertThat(acc).isGreaterThan(0.8);
  }
}
