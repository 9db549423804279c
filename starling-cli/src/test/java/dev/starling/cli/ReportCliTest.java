package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code starling report}: the HTML of real simulate runs, compared runs, and bad metrics lines. */
class ReportCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path dir;

  /** The JSON the page embeds for its charts. */
  static JsonNode embedded(Path html) throws Exception {
    String s = Files.readString(html, StandardCharsets.UTF_8);
    String open = "<script type=\"application/json\" id=\"starling-data\">";
    int a = s.indexOf(open);
    assertThat(a).as("embedded data element").isPositive();
    int b = s.indexOf("</script>", a);
    return JSON.readTree(s.substring(a + open.length(), b));
  }

  private Path simulate(String name, String... extra) {
    Path m = dir.resolve(name + ".jsonl");
    List<String> args = new ArrayList<>(List.of("simulate", "--rounds", "3", "--clients", "4", "--metrics-out", m.toString()));
    args.addAll(List.of(extra));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    return m;
  }

  @Test
  void reportOfASimulateRunHasOnePointPerRoundInEverySeriesAndNeedsNoNetwork() throws Exception {
    Path m = simulate("fedavg", "--seed", "5");
    Path html = dir.resolve("out/report.html");
    CliRun r = CliRun.of("report", m.toString(), "--out", html.toString());
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode data = embedded(html);
    assertThat(data.get("runs")).hasSize(1);
    JsonNode run = data.get("runs").get(0);
    assertThat(run.get("name").asText()).isEqualTo("fedavg");
    assertThat(run.get("rounds")).extracting(JsonNode::asInt).containsExactly(1, 2, 3);
    List<String> fields = new ArrayList<>();
    run.get("series").fieldNames().forEachRemaining(fields::add);
    assertThat(fields).contains("test_accuracy", "test_loss", "train_loss", "bytes_up", "bytes_down", "clients_selected",
        "clients_succeeded", "clients_failed", "clients_flagged", "seconds");
    for (String f : fields) {
      assertThat(run.get("series").get(f)).as(f).hasSize(3);
    }
    // the values are the metrics file's
    List<String> lines = Files.readAllLines(m, StandardCharsets.UTF_8);
    for (int i = 0; i < 3; i++) {
      JsonNode line = JSON.readTree(lines.get(i));
      assertThat(run.get("series").get("test_accuracy").get(i).asDouble()).isEqualTo(line.get("test_accuracy").asDouble());
      assertThat(run.get("series").get("bytes_up").get(i).asLong()).isEqualTo(line.get("bytes_up").asLong());
    }
    assertThat(data.get("charts")).extracting(c -> c.get("title").asText()).contains("Accuracy", "Loss", "Bytes per round",
        "Clients");
    String page = Files.readString(html, StandardCharsets.UTF_8);
    // self-contained: uPlot inlined, nothing fetched
    assertThat(page).contains("uPlot").doesNotContain("<script src").doesNotContain("<link ").doesNotContain("http://")
        .doesNotContainPattern("https://(?!github.com/leeoniya)");
    assertThat(page).contains("<h2>Summary</h2>");
  }

  @Test
  void compareOverlaysTwoRunsWithTheirOwnNames() throws Exception {
    Path a = simulate("fedavg", "--seed", "5");
    Path b = simulate("median", "--seed", "5", "--strategy", "median", "--fraction", "1");
    Path html = dir.resolve("cmp.html");
    CliRun r = CliRun.of("report", a.toString(), "--compare", b.toString(), "--out", html.toString(), "--title", "A/B");
    assertThat(r.code()).as(r.err()).isZero();
    JsonNode data = embedded(html);
    assertThat(data.get("title").asText()).isEqualTo("A/B");
    assertThat(data.get("runs")).extracting(n -> n.get("name").asText()).containsExactly("fedavg", "median");
    for (JsonNode run : data.get("runs")) {
      assertThat(run.get("series").get("test_accuracy")).hasSize(3);
    }
    // the summary table has a row per run
    assertThat(Files.readString(html, StandardCharsets.UTF_8)).containsPattern("</span>fedavg</td><td>3</td>")
        .containsPattern("</span>median</td><td>3</td>");
  }

  @Test
  void aBadLineIsAUsageErrorNamingFileAndLine() throws Exception {
    Path good = simulate("ok", "--seed", "5");
    List<String> lines = new ArrayList<>(Files.readAllLines(good, StandardCharsets.UTF_8));
    lines.set(1, lines.get(1).substring(0, 20));
    Path bad = Files.write(dir.resolve("bad.jsonl"), lines, StandardCharsets.UTF_8);
    CliRun r = CliRun.of("report", good.toString(), "--compare", bad.toString(), "--out", dir.resolve("r.html").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(bad + ":2: not JSON");
    assertThat(dir.resolve("r.html")).doesNotExist();

    Path missing = Files.writeString(dir.resolve("missing.jsonl"), "{\"round\": 1, \"clients_selected\": 2}\n");
    r = CliRun.of("report", missing.toString(), "--out", dir.resolve("r.html").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(missing + ":1: missing field 'clients_succeeded'");

    r = CliRun.of("report", dir.resolve("nope.jsonl").toString(), "--out", dir.resolve("r.html").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("nope.jsonl: no such readable metrics file");
  }
}
