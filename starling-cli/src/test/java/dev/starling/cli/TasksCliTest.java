package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.starling.core.metrics.Metrics;
import dev.starling.server.RoundRecord;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Regression and next-token runs, model files v1/v2 and {@code predict}, through the CLI. */
class TasksCliTest {
  @TempDir
  Path tmp;

  private Path golden(String name) throws IOException {
    Path p = tmp.resolve(name);
    try (InputStream in = getClass().getResourceAsStream("/golden/" + name)) {
      Files.copy(in, p);
    }
    return p;
  }

  private static double metric(String out, String name) {
    Matcher m = Pattern.compile("(?m)^" + name + "\\s+([-0-9.]+)").matcher(out);
    assertThat(m.find()).as(out).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void regression_simulateThenEvaluate_reproducesTestMetricsWithTheModelsAgreedStatistics() throws Exception {
    Path model = tmp.resolve("credit.stm");
    Path metrics = tmp.resolve("m.jsonl");
    CliRun r = CliRun.of("simulate", "--dataset", "credit-amount", "--model", "logreg", "--rounds", "10", "--clients", "5",
        "--lr", "0.02", "--seed", "3", "--target", "test_r2=0.99", "--metrics-out", metrics.toString(),
        "--model-out", model.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("regression of 'Amount'").contains("test_rmse").contains("final test R^2");
    List<String> lines = Files.readAllLines(metrics);
    var last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertThat(last.get("test_accuracy").isNull()).isTrue();
    assertThat(last.get("test_r2").asDouble()).isGreaterThan(0.6);
    assertThat(last.get("test_rmse").asDouble()).isLessThan(300);

    CliRun e = CliRun.of("evaluate", "--model", model.toString(), "--dataset", "credit-amount", "--seed", "3");
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(metric(e.out(), "rmse")).isCloseTo(last.get("test_rmse").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
    assertThat(metric(e.out(), "r2")).isCloseTo(last.get("test_r2").asDouble(), org.assertj.core.data.Offset.offset(1e-3));
  }

  @Test
  void regression_targetRmse_stopsTheRunEarly() {
    CliRun r = CliRun.of("simulate", "--dataset", "credit-amount", "--model", "logreg", "--rounds", "30", "--clients", "5",
        "--lr", "0.02", "--seed", "3", "--target", "test_rmse=300");
    assertThat(r.code()).as(r.err()).isZero();
    Matcher m = Pattern.compile("rounds run\\s+(\\d+)").matcher(r.out());
    assertThat(m.find()).isTrue();
    assertThat(Integer.parseInt(m.group(1))).isLessThan(30);
  }

  @Test
  void continuousCsvLabel_isRefusedWithAHint_andRegressionAcceptsIt() throws Exception {
    Path csv = tmp.resolve("prices.csv");
    StringBuilder sb = new StringBuilder("size,rooms,price\n");
    for (int i = 0; i < 200; i++) {
      sb.append(40 + i).append(',').append(1 + i % 5).append(',').append(1000 + 31.5 * i + (i % 7) * 3).append('\n');
    }
    Files.writeString(csv, sb.toString());
    CliRun refused = CliRun.of("simulate", "--dataset", csv.toString(), "--rounds", "1");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("column 'price'").contains("--task regression");

    Path model = tmp.resolve("prices.stm");
    CliRun ok = CliRun.of("simulate", "--dataset", csv.toString(), "--task", "regression", "--model", "logreg",
        "--rounds", "15", "--clients", "4", "--lr", "0.05", "--seed", "2", "--model-out", model.toString());
    assertThat(ok.code()).as(ok.err()).isZero();
    Path one = tmp.resolve("one.csv");
    Files.writeString(one, "rooms,size\n3,140\n");
    Path out = tmp.resolve("preds.csv");
    CliRun p = CliRun.of("predict", "--model", model.toString(), "--data", one.toString(), "--out", out.toString());
    assertThat(p.code()).as(p.err()).isZero();
    List<String> preds = Files.readAllLines(out);
    assertThat(preds.get(0)).isEqualTo("price");
    // truth for size 140 is about 1000 + 31.5 * 100 = 4150 (plus up to 18)
    assertThat(Double.parseDouble(preds.get(1))).isBetween(3900.0, 4400.0);
  }

  @Test
  void classification_predictSingleRow_writesLabelInItsOwnTermsThenProbabilities() throws Exception {
    Path csv = tmp.resolve("fruit.csv");
    StringBuilder sb = new StringBuilder("weight,color,kind\n");
    for (int i = 0; i < 120; i++) {
      boolean apple = i % 2 == 0;
      sb.append(apple ? 150 + i % 20 : 110 + i % 15).append(',').append(apple ? (i % 3 == 0 ? "green" : "red") : "yellow")
          .append(',').append(apple ? "apple" : "banana").append('\n');
    }
    Files.writeString(csv, sb.toString());
    Path model = tmp.resolve("fruit.stm");
    assertThat(CliRun.of("simulate", "--dataset", csv.toString(), "--model", "logreg", "--rounds", "5", "--clients", "3",
        "--model-out", model.toString()).code()).isZero();
    Path one = tmp.resolve("one.csv");
    Files.writeString(one, "color,weight\nred,160\n");
    Path out = tmp.resolve("p.csv");
    CliRun p = CliRun.of("predict", "--model", model.toString(), "--data", one.toString(), "--out", out.toString());
    assertThat(p.code()).as(p.err()).isZero();
    List<String> lines = Files.readAllLines(out);
    assertThat(lines.get(0)).isEqualTo("kind,p(apple),p(banana)");
    String[] f = lines.get(1).split(",");
    assertThat(f[0]).isEqualTo("apple");
    assertThat(Double.parseDouble(f[1]) + Double.parseDouble(f[2])).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-5));
    assertThat(Double.parseDouble(f[1])).isGreaterThan(0.5);
  }

  @Test
  void nextToken_onBundledText_reportsPerplexity() {
    CliRun r = CliRun.of("simulate", "--dataset", "persuasion", "--model", "mlp:32", "--rounds", "3", "--clients", "4",
        "--seed", "1");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("next-token over").contains("test_ppl").contains("final test perplexity");
  }

  @Test
  void goldenVersion1Model_isEvaluatedWithPerPartyStatistics() throws Exception {
    Path v1 = golden("model-v1-breast-cancer-logreg.bin");
    CliRun e = CliRun.of("evaluate", "--model", v1.toString(), "--dataset", "breast-cancer", "--seed", "1");
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(e.out()).contains("version-1 model file");
    assertThat(metric(e.out(), "accuracy")).isGreaterThan(0.95);
    CliRun p = CliRun.of("predict", "--model", v1.toString(), "--data", v1.toString());
    assertThat(p.code()).as(p.err()).isEqualTo(2);
    assertThat(p.err()).contains("no feature schema");
  }

  @Test
  void goldenVersion2Model_predictsTheSameValue() throws Exception {
    Path v2 = golden("model-v2-credit-amount-logreg.stm");
    Path one = golden("credit-one-row.csv");
    CliRun p = CliRun.of("predict", "--model", v2.toString(), "--data", one.toString());
    assertThat(p.code()).as(p.err()).isZero();
    String[] lines = p.out().strip().split("\\R");
    assertThat(lines[0]).isEqualTo("Amount");
    // the value this model predicted for this row when the golden file was made
    assertThat(Double.parseDouble(lines[1])).isCloseTo(843.7675728485931, org.assertj.core.data.Offset.offset(1e-6));
    CliRun e = CliRun.of("evaluate", "--model", v2.toString(), "--dataset", "credit-amount", "--seed", "3");
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(metric(e.out(), "rmse")).isCloseTo(270.3799, org.assertj.core.data.Offset.offset(1e-3));
  }

  @Test
  void goldenMetricsLine_regressionRound() throws Exception {
    Metrics m = Metrics.builder().put("train_loss", 0.3278154663213279).put("clients_aggregated", 2.0)
        .put("examples", 1293.0).put("test_loss", 0.3486393705737145).put("test_rmse", 270.3799429231002)
        .put("test_mae", 194.03535516893294).put("test_r2", 0.6594805595186963).build();
    RoundRecord r = new RoundRecord(10, m, 2, 2, List.of(), 224, 224, 0.002426);
    String line;
    try (MetricsWriter w = new MetricsWriter(tmp.resolve("x.jsonl"))) {
      line = new ObjectMapper().writeValueAsString(w.toJson(r));
    }
    String expected;
    try (InputStream in = getClass().getResourceAsStream("/golden/metrics-line-regression.jsonl")) {
      expected = new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8).strip();
    }
    assertThat(line).isEqualTo(expected);
  }

  @Test
  void badTask_isAUsageError() {
    CliRun r = CliRun.of("simulate", "--task", "clustering");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--task").contains("classification, regression or next-token");
  }
}
