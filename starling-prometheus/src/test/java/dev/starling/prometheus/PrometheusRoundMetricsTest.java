package dev.starling.prometheus;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.server.FederationServer;
import dev.starling.transport.grpc.server.ServerSettings;
import io.prometheus.metrics.exporter.httpserver.HTTPServer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A networked run in one JVM (server and clients over gRPC on 127.0.0.1) feeding the collector, scraped
 * over HTTP on loopback during and after the run.
 */
@Timeout(60)
class PrometheusRoundMetricsTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private static Trainer trainer(BiFunction<ParameterSet, TrainConfig, TrainResult> fit) {
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        return fit.apply(global, config);
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return new EvalResult(10, Metrics.of(Metrics.LOSS, 1));
      }
    };
  }

  private void client(FederationServer server, String id, Trainer t) {
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), id)
        .withGiveUpAfter(Duration.ofSeconds(20)), (m, s) -> t);
    closeMe.add(c);
    Thread th = Thread.ofPlatform().daemon().name("client-" + id).start(() -> {
      try {
        c.run();
      } catch (RuntimeException e) {
        // the test asserts on the server's side
      }
    });
    closeMe.add(th::interrupt);
  }

  /** Sample values by "name{labels}" from the text exposition format. */
  static Map<String, Double> scrape(int port) throws Exception {
    HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port
        + "/metrics")).build(), HttpResponse.BodyHandlers.ofString());
    assertThat(r.statusCode()).isEqualTo(200);
    Map<String, Double> out = new HashMap<>();
    Matcher m = Pattern.compile("(?m)^([a-z_]+(?:\\{[^}]*\\})?) (\\S+)$").matcher(r.body());
    while (m.find()) {
      out.put(m.group(1), Double.parseDouble(m.group(2)));
    }
    return out;
  }

  @Test
  void countersOfANetworkedRunMatchItsRoundRecords() throws Exception {
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")
        .withHeartbeat(Duration.ofMillis(500))).start();
    closeMe.add(server);
    PrometheusRegistry registry = new PrometheusRegistry();
    PrometheusRoundMetrics metrics = new PrometheusRoundMetrics(registry, () -> server.pool().available().size());
    HTTPServer http = HTTPServer.builder().hostname("127.0.0.1").port(0).registry(registry).buildAndStart();
    closeMe.add(http);
    assertThat(scrape(http.getPort())).containsEntry("starling_rounds_completed_total", 0.0)
        .containsEntry("starling_clients_connected", 0.0);

    client(server, "a", trainer((g, c) -> new TrainResult(g.copy(), 2, 1, Metrics.of(Metrics.LOSS, 0.5))));
    client(server, "b", trainer((g, c) -> new TrainResult(g.copy(), 3, 1, Metrics.of(Metrics.LOSS, 0.25))));
    client(server, "nan", trainer((g, c) -> {
      ParameterSet p = g.copy();
      p.get("w").data()[7] = Float.NaN;
      return new TrainResult(p, 5, 1, Metrics.empty());
    }));
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    List<Map<String, Double>> during = new CopyOnWriteArrayList<>();
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(2).fractionFit(1.0).minFitClients(3).minAvailableClients(3)
        .minSuccessfulClients(1).roundTimeout(Duration.ofSeconds(20)).availabilityTimeout(Duration.ofSeconds(20))
        .foldOrder(FoldOrder.ARRIVAL).build();
    ParameterSet init = ParameterSet.of(Tensor.zeros("w", 1000));
    new RoundLoop(server.wrap(new FedAvg()), server.pool(), cfg, new RoundListener() {
      @Override
      public void onRoundEnd(RoundRecord r) {
        metrics.onRoundEnd(r);
        records.add(r);
        try {
          during.add(scrape(http.getPort()));
        } catch (Exception e) {
          throw new AssertionError(e);
        }
      }
    }).run(init);

    assertThat(records).hasSize(2);
    // during the run: after round 1, one round counted and every client connected
    assertThat(during.get(0)).containsEntry("starling_rounds_completed_total", 1.0).containsEntry("starling_round", 1.0)
        .containsEntry("starling_clients_connected", 3.0).containsEntry("starling_clients_selected", 3.0)
        .containsEntry("starling_clients_succeeded", 2.0);
    Map<String, Double> after = scrape(http.getPort());
    assertThat(after).containsEntry("starling_rounds_completed_total", 2.0)
        .containsEntry("starling_rounds_without_update_total", 0.0)
        .containsEntry("starling_round", 2.0)
        .containsEntry("starling_bytes_up_total", (double) records.stream().mapToLong(RoundRecord::bytesUp).sum())
        .containsEntry("starling_bytes_down_total", (double) records.stream().mapToLong(RoundRecord::bytesDown).sum())
        // the NaN update was refused by validation in both rounds
        .containsEntry("starling_client_failures_total{code=\"INVALID_ARGUMENT\"}", 2.0)
        .containsEntry("starling_round_duration_seconds_count", 2.0)
        .containsEntry("starling_round_duration_seconds_sum", records.stream().mapToDouble(RoundRecord::seconds).sum())
        // example-weighted train loss of a (2 examples, 0.5) and b (3 examples, 0.25)
        .containsEntry("starling_round_metric{name=\"train_loss\"}", 0.35);
    assertThat(records.get(0).bytesUp()).isGreaterThan(2L * 1000 * 4);
    assertThat(after).doesNotContainKey("starling_epsilon");
  }

  @Test
  void epsilonFlaggedClientsAndRoundsWithoutUpdateAreReported() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    PrometheusRoundMetrics metrics = new PrometheusRoundMetrics(registry);
    var client = new dev.starling.core.message.ClientId("c1");
    metrics.onRoundEnd(new RoundRecord(1, Metrics.builder().put("epsilon", 1.25).put("delta", 1e-5).build(), 3, 1,
        List.of(new dev.starling.core.message.ClientFailure(client, dev.starling.core.error.ErrorCode.DEADLINE_EXCEEDED, "late")),
        10, 20, 0.5, List.of(new dev.starling.strategy.ClientVerdict(client, dev.starling.strategy.ClientVerdict.Action.REJECTED, 0, "Krum")), "1 of 3 updates accepted"));
    HTTPServer http = HTTPServer.builder().hostname("127.0.0.1").port(0).registry(registry).buildAndStart();
    closeMe.add(http);
    assertThat(scrape(http.getPort())).containsEntry("starling_epsilon", 1.25).containsEntry("starling_delta", 1e-5)
        .containsEntry("starling_rounds_without_update_total", 1.0)
        .containsEntry("starling_client_failures_total{code=\"DEADLINE_EXCEEDED\"}", 1.0)
        .containsEntry("starling_clients_flagged_total{action=\"REJECTED\"}", 1.0)
        .doesNotContainKey("starling_clients_connected");
  }
}
