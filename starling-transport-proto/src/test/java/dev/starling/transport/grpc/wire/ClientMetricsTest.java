package dev.starling.transport.grpc.wire;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.metrics.Metrics;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClientMetricsTest {
  @Test
  void ordinaryMetricsPassUnchanged() {
    Map<String, Double> sent = Map.of("loss", 0.5, "accuracy", 0.9, "test_r2", -0.25, "local_epsilon", Double.NaN);
    Metrics kept = Convert.clientMetrics(sent);
    assertThat(kept.asMap()).containsExactlyInAnyOrderEntriesOf(sent);
  }

  @Test
  void aFloodOfMetricsIsCappedAndOddNamesDropped() {
    Map<String, Double> sent = new LinkedHashMap<>();
    for (int i = 0; i < 10_000; i++) {
      sent.put(String.format("m%05d", i), (double) i);
    }
    sent.put("x".repeat(Convert.MAX_METRIC_NAME + 1), 1.0);
    sent.put("new\nline", 1.0);
    sent.put("", 1.0);
    Metrics kept = Convert.clientMetrics(sent);
    assertThat(kept.asMap()).hasSize(Convert.MAX_CLIENT_METRICS);
    assertThat(kept.asMap().keySet()).allMatch(n -> n.matches("m\\d{5}"));
    // name order: the first 64 names are kept, whatever order the client sent them in
    assertThat(kept.asMap()).containsEntry("m00000", 0.0).containsEntry("m00063", 63.0).doesNotContainKey("m00064");
  }
}
