package dev.starling.report;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.StringReader;
import java.util.List;
import org.junit.jupiter.api.Test;

class MetricsLogTest {
  private static String line(int round, String extra) {
    return "{\"round\":" + round + ",\"train_loss\":0.5,\"test_loss\":null,\"test_accuracy\":0.75,\"clients_selected\":3,"
        + "\"clients_succeeded\":2,\"bytes_up\":100,\"bytes_down\":200,\"seconds\":0.25" + extra + "}";
  }

  private static RunMetrics read(String... lines) throws Exception {
    return MetricsLog.read("run", "m.jsonl", new StringReader(String.join("\n", lines) + "\n"));
  }

  @Test
  void readsNumbersNullsFailuresAndFlaggedClients() throws Exception {
    RunMetrics r = read(line(1, ",\"epsilon\":1.5,\"note\":\"text is ignored\",\"failures\":[{\"client\":\"c1\","
        + "\"code\":\"UNAVAILABLE\",\"reason\":\"gone\"}],\"flagged\":[{\"client\":\"c2\",\"action\":\"REJECTED\","
        + "\"weight\":0.0,\"rule\":\"Krum\"}]"), "", line(2, ",\"failure_reason\":\"too few\""));
    assertThat(r.rounds()).hasSize(2);
    RoundRow first = r.rounds().get(0);
    assertThat(first.value("epsilon")).isEqualTo(1.5);
    assertThat(first.value("test_loss")).isNaN();
    assertThat(first.values()).doesNotContainKey("note");
    assertThat(first.failures()).containsExactly(new RoundRow.Failure("c1", "UNAVAILABLE", "gone"));
    assertThat(first.flagged()).containsExactly(new RoundRow.Flag("c2", "REJECTED", 0.0, "Krum"));
    assertThat(r.rounds().get(1).failureReason()).isEqualTo("too few");
    assertThat(r.has("epsilon")).isTrue();
    assertThat(r.has("test_loss")).isFalse();
  }

  @Test
  void badLinesNameFileLineAndProblem() {
    assertThatThrownBy(() -> read(line(1, ""), "{\"round\": 2,"))
        .isInstanceOf(MetricsFormatException.class).hasMessageStartingWith("m.jsonl:2: not JSON");
    assertThatThrownBy(() -> read("[1, 2]")).hasMessage("m.jsonl:1: expected a JSON object per line, got array");
    assertThatThrownBy(() -> read(line(1, ""), "", "{\"round\": 2}")).hasMessage("m.jsonl:3: missing field 'clients_selected'");
    assertThatThrownBy(() -> read(line(1, "").replace("\"seconds\":0.25", "\"seconds\":\"fast\"")))
        .hasMessage("m.jsonl:1: field 'seconds' must be a number, got \"fast\"");
    assertThatThrownBy(() -> read(line(1, "").replace("\"round\":1", "\"round\":1.5")))
        .hasMessage("m.jsonl:1: field 'round' must be an integer >= 1, got 1.5");
    assertThatThrownBy(() -> read(line(2, ""), line(2, "")))
        .hasMessageStartingWith("m.jsonl:2: round 2 follows round 2 (rounds must increase");
    assertThatThrownBy(() -> read(line(1, ",\"failures\":{}"))).hasMessage("m.jsonl:1: field 'failures' must be an array, got object");
    assertThatThrownBy(() -> read(line(1, ",\"flagged\":[1]"))).hasMessage("m.jsonl:1: field 'flagged' entry 1 must be an object, got 1");
    assertThatThrownBy(() -> read("", "  ")).hasMessage("m.jsonl:0: no rounds (an empty metrics file)");
  }

  @Test
  void pageEscapesNamesAndDataSoNoValueCanEndTheScript() throws Exception {
    RunMetrics r = read(line(1, ",\"failure_reason\":\"</script><b>x\"")).named("<i>run</i>");
    String html = HtmlReport.render("t & <t>", List.of(r));
    assertThat(html).contains("<title>t &amp; &lt;t&gt;</title>").contains("&lt;i&gt;run&lt;/i&gt;")
        .doesNotContain("<i>run</i>").doesNotContain("</script><b>x");
    String data = HtmlReport.dataJson("t", List.of(r));
    assertThat(data).doesNotContain("<").contains("\\u003ci>run");
  }

  @Test
  void everySeriesHasOneEntryPerRoundAndUnknownMetricsGoToOtherCharts() throws Exception {
    RunMetrics r = read(line(1, ",\"custom_score\":3"), line(2, ""), line(4, ",\"custom_score\":5"));
    com.fasterxml.jackson.databind.JsonNode data = new com.fasterxml.jackson.databind.ObjectMapper()
        .readTree(HtmlReport.dataJson("t", List.of(r)));
    com.fasterxml.jackson.databind.JsonNode series = data.get("runs").get(0).get("series");
    series.fields().forEachRemaining(e -> assertThat(e.getValue()).as(e.getKey()).hasSize(3));
    assertThat(series.get("custom_score").toString()).isEqualTo("[3.0,null,5.0]");
    assertThat(series.get("test_loss").toString()).isEqualTo("[null,null,null]");
    assertThat(data.get("charts")).anySatisfy(c -> {
      assertThat(c.get("section").asText()).isEqualTo("other");
      assertThat(c.get("title").asText()).isEqualTo("custom_score");
    });
  }

  @Test
  void pageLinksEachPlotWithDataToItsChartAndShowsTheCallersTablesEscaped() throws Exception {
    RunMetrics r = read(line(1, ",\"test_auc\":0.8"), line(2, ",\"test_auc\":0.9"));
    String html = HtmlReport.render("t", List.of(r),
        List.of(new HtmlReport.Table("Demo <cmp>", List.of("run", "AUC"), List.of(List.of("a & b", "0.9")))));
    assertThat(html).contains("<h2>Demo &lt;cmp&gt;</h2>").contains("<td>a &amp; b</td><td>0.9</td>")
        .contains("<a href=\"#chart-roc-auc\">ROC AUC</a>").contains("<a href=\"#chart-accuracy\">Accuracy</a>")
        .doesNotContain("#chart-rmse-and-mae").doesNotContain("#chart-perplexity");
    assertThat(html.indexOf("Demo &lt;cmp&gt;")).isLessThan(html.indexOf("<h2>Summary</h2>"));
    assertThat(HtmlReport.dataJson("t", List.of(r))).contains("\"id\":\"chart-roc-auc\"");
    assertThatThrownBy(() -> new HtmlReport.Table("x", List.of("a", "b"), List.of(List.of("1"))))
        .hasMessageContaining("a row has 1 cells for 2 columns");
  }
}
