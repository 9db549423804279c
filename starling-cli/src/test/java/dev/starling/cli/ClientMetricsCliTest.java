package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --client-metrics}: per-client rows in the metrics file, bounded per round. */
class ClientMetricsCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  private static List<JsonNode> lines(Path f) throws Exception {
    List<JsonNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(f)) {
      out.add(JSON.readTree(line));
    }
    return out;
  }

  @Test
  void simulate_everyArrivedUpdateGetsARowThatAddsUpToTheRound() throws Exception {
    Path m = tmp.resolve("m.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "2", "--clients", "4", "--fraction", "1", "--seed", "3",
        "--dropout", "0.3", "--metrics-out", m.toString(), "--client-metrics");
    assertThat(r.code()).as(r.err()).isZero();
    for (JsonNode round : lines(m)) {
      JsonNode rows = round.get("clients");
      assertThat(rows.isArray()).as(round.toString()).isTrue();
      assertThat(round.get("clients_omitted").asLong()).isZero();
      // a dropped-out client never replied: it is in failures, not in clients
      assertThat(rows.size() + round.get("failures").size()).isEqualTo(round.get("clients_selected").asInt());
      long bytesUp = 0;
      long bytesDown = 0;
      List<String> ids = new ArrayList<>();
      for (JsonNode c : rows) {
        ids.add(c.get("client").asText());
        assertThat(c.get("accepted").asBoolean()).isTrue();
        assertThat(c.get("examples").asLong()).isPositive();
        assertThat(c.get("loss").isNumber()).isTrue();
        assertThat(c.get("seconds").asDouble()).isPositive(); // the job's simulated duration
        bytesUp += c.get("bytes_up").asLong();
        bytesDown += c.get("bytes_down").asLong();
      }
      assertThat(ids).isSorted();
      assertThat(bytesUp).isEqualTo(round.get("bytes_up").asLong());
      assertThat(bytesDown).isEqualTo(round.get("bytes_down").asLong());
    }
  }

  @Test
  void simulate_capKeepsTheLowestIdsAndCountsTheRest() throws Exception {
    Path m = tmp.resolve("m.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "1", "--clients", "5", "--fraction", "1", "--seed", "3",
        "--metrics-out", m.toString(), "--client-metrics=2");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode round = lines(m).get(0);
    assertThat(round.get("clients")).hasSize(2);
    assertThat(round.get("clients_omitted").asLong()).isEqualTo(3);
    List<String> all = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      all.add(dev.starling.core.message.ClientId.ofIndex(i).value());
    }
    java.util.Collections.sort(all);
    assertThat(round.get("clients").get(0).get("client").asText()).isEqualTo(all.get(0));
    assertThat(round.get("clients").get(1).get("client").asText()).isEqualTo(all.get(1));
  }

  @Test
  void withoutTheFlag_theLineHasNoClientFields() throws Exception {
    Path m = tmp.resolve("m.jsonl");
    assertThat(CliRun.of("simulate", "--rounds", "1", "--metrics-out", m.toString()).code()).isZero();
    assertThat(lines(m).get(0).has("clients")).isFalse();
    assertThat(lines(m).get(0).has("clients_omitted")).isFalse();
  }

  @Test
  void clientMetricsWithoutAMetricsFileOrWithZeroIsAUsageError() {
    CliRun a = CliRun.of("simulate", "--rounds", "1", "--client-metrics");
    assertThat(a.code()).isEqualTo(2);
    assertThat(a.err()).contains("--client-metrics").contains("--metrics-out FILE");
    CliRun b = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--client-metrics=0", "--metrics-out",
        tmp.resolve("x.jsonl").toString());
    assertThat(b.code()).isEqualTo(2);
    assertThat(b.err()).contains("--client-metrics must be at least 1");
  }
}
