package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code --dashboard} on {@code server} and {@code simulate}: flags, tokens and a live networked run. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class DashboardCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private final HttpClient http = HttpClient.newHttpClient();

  @TempDir
  Path dir;

  @Test
  void badDashboardFlagsAreUsageErrorsBeforeTraining() {
    CliRun a = CliRun.of("simulate", "--dashboard-token", "0123456789abcdef0");
    assertThat(a.code()).isEqualTo(2);
    assertThat(a.err()).contains("--dashboard-token needs --dashboard PORT");
    CliRun b = CliRun.of("simulate", "--dashboard", "70000");
    assertThat(b.code()).isEqualTo(2);
    assertThat(b.err()).contains("--dashboard must be a TCP port in [0, 65535], got 70000");
    CliRun c = CliRun.of("server", "--port", "0", "--dashboard", "0", "--dashboard-host", "0.0.0.0", "--dashboard-token", "short");
    assertThat(c.code()).isEqualTo(2);
    assertThat(c.err()).contains("--dashboard-token: dashboard token must be at least 16 characters");
    for (CliRun r : List.of(a, b, c)) {
      assertThat(r.out()).doesNotContain("round 1");
    }
  }

  @Test
  void simulateBoundElsewhereWithoutATokenGetsAGeneratedOnePrinted() {
    CliRun r = CliRun.of("simulate", "--rounds", "1", "--dashboard", "0", "--dashboard-host", "0.0.0.0");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).containsPattern("dashboard http://0\\.0\\.0\\.0:\\d+/\\?token=[0-9a-f]{32}\\R");
  }

  @Test
  void serverDashboardStreamsTheRunWhileItRuns() throws Exception {
    int dashPort;
    try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      dashPort = s.getLocalPort();
    }
    Path cfg = Files.writeString(dir.resolve("run.properties"), String.join("\n", "model = logreg", "dataset = digits",
        "rounds = 2", "min-fit-clients = 2", "min-successful-clients = 2", "round-timeout = 30s", "availability-timeout = 60s",
        "seed = 3", "run-id = dash-test") + "\n");
    Path port = dir.resolve("port");
    int[] code = {-1};
    Thread server = new Thread(() -> code[0] = Main.execute("server", "--host", "127.0.0.1", "--port", "0", "--port-file",
        port.toString(), "--config", cfg.toString(), "--dashboard", Integer.toString(dashPort)));
    server.start();
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(40);
    while (!Files.exists(port)) { // the port file is written once the dashboard and the server listen
      assertThat(System.nanoTime()).as("the server to listen").isLessThan(end);
      Thread.sleep(50);
    }
    String base = "http://127.0.0.1:" + dashPort + "/";
    JsonNode before = JSON.readTree(http.send(HttpRequest.newBuilder(URI.create(base + "state")).build(),
        HttpResponse.BodyHandlers.ofString()).body());
    assertThat(before.get("title").asText()).startsWith("server dash-test: logreg");
    assertThat(before.get("rounds")).isEmpty();
    assertThat(before.get("round_budget").asInt()).isEqualTo(2);

    // subscribe before any client: every event of the run arrives on this one stream
    HttpResponse<Stream<String>> events = http.send(HttpRequest.newBuilder(URI.create(base + "events")).build(),
        HttpResponse.BodyHandlers.ofLines());
    String address = "127.0.0.1:" + Files.readString(port).strip();
    for (int i = 0; i < 2; i++) {
      String id = "c" + i;
      String shard = i + "/2";
      Thread t = new Thread(() -> Main.execute("client", "--server", address, "--id", id, "--data", "digits", "--seed", "3",
          "--shard", shard, "--give-up-after", "20s"));
      t.setDaemon(true);
      t.start();
    }
    List<String> names = new ArrayList<>();
    List<Integer> roundRows = new ArrayList<>();
    String[] name = {null};
    try (Stream<String> lines = events.body()) {
      lines.takeWhile(l -> !"finished".equals(name[0])).forEach(l -> {
        if (l.startsWith("event: ")) {
          name[0] = l.substring(7);
          names.add(name[0]);
        } else if (l.startsWith("data: ") && "round".equals(name[0])) {
          try {
            roundRows.add(JSON.readTree(l.substring(6)).get("row").get("round").asInt());
          } catch (Exception e) {
            throw new IllegalStateException(e);
          }
        }
      });
    }
    assertThat(names.get(0)).isEqualTo("snapshot");
    assertThat(names).contains("round-start", "progress").endsWith("finished");
    assertThat(roundRows).containsExactly(1, 2);
    server.join(TimeUnit.SECONDS.toMillis(60));
    assertThat(code[0]).isZero();
  }
}
