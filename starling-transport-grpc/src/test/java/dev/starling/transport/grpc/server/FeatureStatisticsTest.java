package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.proto.FeatureStatistics;
import dev.starling.transport.grpc.wire.FeatureSums;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Agreed standardisation's wire half: the server asks in its Welcome, clients answer once with their sums. */
class FeatureStatisticsTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private CompletableFuture<Throwable> run(FederationServer server, String id, FeatureSums stats) {
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), id)
        .withGiveUpAfter(Duration.ofSeconds(5)), (m, s) -> LoopbackFederationTest.adding(1f, 1));
    if (stats != null) {
      c.shareFeatureStatistics(stats);
    }
    return BackgroundClient.start(c, id, closeMe);
  }

  @Test
  void askedClientsReportTheirSumsAndOneWithoutLeaves() throws Exception {
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", "fedavg"));
    server.agreeStatistics();
    closeMe.add(server.start());
    FeatureSums a = new FeatureSums(3, new double[] {1, 2}, new double[] {5, 6}, Double.NaN, Double.NaN);
    FeatureSums b = new FeatureSums(4, new double[] {-1, 0.5}, new double[] {2, 1}, Double.NaN, Double.NaN);
    run(server, "a", a);
    run(server, "b", b);
    Map<String, FeatureSums> got = server.awaitFeatureStatistics(2, Duration.ofSeconds(20));
    assertThat(got).containsOnlyKeys("a", "b");
    assertThat(got.get("a").count()).isEqualTo(3);
    assertThat(got.get("b").sum()).containsExactly(-1, 0.5);
    assertThat(got.get("b").sumSquares()).containsExactly(2, 1);

    Throwable ended = run(server, "none", null).get(20, TimeUnit.SECONDS);
    Throwable cause = ended;
    while (cause != null && !(cause instanceof FlException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    assertThat(String.valueOf(ended) + " " + cause).contains("has none to share");
    assertThat(server.featureStatistics()).containsOnlyKeys("a", "b");
  }

  @Test
  void wireForm_roundTripsAndRefusesMalformedReports() {
    FeatureSums r = new FeatureSums(10, new double[] {1, 2}, new double[] {3, 4}, 7, 50);
    FeatureSums back = FeatureSums.fromProto(r.toProto());
    assertThat(back.count()).isEqualTo(10);
    assertThat(back.sum()).containsExactly(1, 2);
    assertThat(back.targetSumSquares()).isEqualTo(50);
    assertThat(FeatureSums.fromProto(new FeatureSums(1, new double[] {1}, new double[] {1}, Double.NaN, Double.NaN)
        .toProto()).targetSum()).isNaN();
    assertThatThrownBy(() -> FeatureSums.fromProto(FeatureStatistics.newBuilder().setCount(0).addSum(1).addSumSquares(1)
        .build())).hasMessageContaining("count must be > 0");
    assertThatThrownBy(() -> FeatureSums.fromProto(FeatureStatistics.newBuilder().setCount(2).addSum(1).build()))
        .hasMessageContaining("same length");
    assertThatThrownBy(() -> FeatureSums.fromProto(FeatureStatistics.newBuilder().setCount(2).addSum(Double.NaN)
        .addSumSquares(1).build())).hasMessageContaining("feature 0");
    assertThatThrownBy(() -> FeatureSums.fromProto(FeatureStatistics.newBuilder().setCount(-1L).addSum(1).addSumSquares(1)
        .build())).hasMessageContaining("count");
  }
}
