package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code server --metrics-port}: the Prometheus endpoint of a real networked run in this JVM, scraped on loopback. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class PrometheusCliTest {
  @TempDir
  Path dir;

  private static String scrape(int port) {
    try {
      HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
          + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
      return r.statusCode() == 200 ? r.body() : "";
    } catch (Exception e) {
      return "";
    }
  }

  private static void await(String what, java.util.function.BooleanSupplier cond) throws InterruptedException {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (!cond.getAsBoolean()) {
      assertThat(System.nanoTime()).as("timed out waiting for " + what).isLessThan(end);
      Thread.sleep(50);
    }
  }

  private Thread client(String address, String id, String shard) {
    Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", id, "--data", "digits", "--seed", "3",
        "--shard", shard, "--give-up-after", "20s"));
    t.setDaemon(true);
    t.start();
    return t;
  }

  @Test
  void serverServesRoundAndClientMetricsOnLoopbackWhileItRuns() throws Exception {
    int metricsPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      metricsPort = s.getLocalPort();
    }
    Path cfg = Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = logreg", "dataset = digits",
        "rounds = 2", "min-fit-clients = 2", "min-successful-clients = 2", "round-timeout = 30s", "availability-timeout = 60s",
        "seed = 3") + "\n");
    Path port = dir.resolve("port");
    int[] code = {-1};
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        port.toString(), "--config", cfg.toString(), "--metrics-port", Integer.toString(metricsPort)));
    server.start();
    await("the port file", () -> Files.exists(port));
    String address = "127.0.0.1:" + Files.readString(port).strip();
    // before any client: the endpoint answers, nothing has happened yet
    assertThat(scrape(metricsPort)).contains("starling_rounds_completed_total 0.0").contains("starling_clients_connected 0.0");
    client(address, "c0", "0/2");
    // one client connected, the round waits for the second: the gauge says so during the run
    await("clients_connected 1", () -> scrape(metricsPort).contains("starling_clients_connected 1.0"));
    assertThat(scrape(metricsPort)).contains("starling_rounds_completed_total 0.0");
    client(address, "c1", "1/2");
    // counter values after rounds are asserted in starling-prometheus (PrometheusRoundMetricsTest); the process
    // closes its endpoint when the run ends
    server.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(server.isAlive()).isFalse();
    assertThat(code[0]).isZero();
  }

  @Test
  void aMetricsPortOutOfRangeIsAUsageError() {
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--metrics-port", "70000");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--metrics-port must be in [0, 65535], got 70000");
  }
}
