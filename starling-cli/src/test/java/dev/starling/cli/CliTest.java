package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CliTest {
  @TempDir
  Path tmp;

  @Test
  void simulate_metricsAndModelOut_writeContractAndEvaluateReproducesAccuracy() throws Exception {
    Path metrics = tmp.resolve("m.jsonl");
    Path model = tmp.resolve("model.stm");
    CliRun r = CliRun.of("simulate", "--rounds", "4", "--seed", "5", "--metrics-out", metrics.toString(), "--model-out", model.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("final test accuracy").contains("rounds run           4");

    List<JsonNode> lines = new ArrayList<>();
    ObjectMapper json = new ObjectMapper();
    for (String line : Files.readAllLines(metrics)) {
      lines.add(json.readTree(line));
    }
    assertThat(lines).hasSize(4);
    for (int i = 0; i < 4; i++) {
      JsonNode o = lines.get(i);
      assertThat(o.get("round").asInt()).isEqualTo(i + 1);
      for (String f : List.of("train_loss", "test_loss", "test_accuracy", "clients_selected", "clients_succeeded",
          "bytes_up", "bytes_down", "seconds")) {
        assertThat(o.get(f)).as("field %s of round %d", f, i + 1).isNotNull();
        assertThat(o.get(f).isNumber()).as("field %s is a number", f).isTrue();
      }
      assertThat(o.get("clients_selected").asInt()).isEqualTo(5);
      assertThat(o.get("bytes_up").asLong()).isPositive();
    }
    double lastAcc = lines.get(3).get("test_accuracy").asDouble();

    CliRun e = CliRun.of("evaluate", "--model", model.toString(), "--dataset", "digits", "--seed", "5");
    assertThat(e.code()).as(e.err()).isZero();
    Matcher m = Pattern.compile("accuracy\\s+([0-9.]+)").matcher(e.out());
    assertThat(m.find()).as(e.out()).isTrue();
    assertThat(Double.parseDouble(m.group(1))).isCloseTo(lastAcc, org.assertj.core.data.Offset.offset(1e-4));
  }

  @Test
  void simulate_sameSeed_sameMetricsFile() throws Exception {
    Path a = tmp.resolve("a.jsonl");
    Path b = tmp.resolve("b.jsonl");
    assertThat(CliRun.of("simulate", "--rounds", "3", "--seed", "9", "--dropout", "0.3", "--metrics-out", a.toString()).code()).isZero();
    assertThat(CliRun.of("simulate", "--rounds", "3", "--seed", "9", "--dropout", "0.3", "--threads", "1", "--metrics-out", b.toString()).code()).isZero();
    ObjectMapper json = new ObjectMapper();
    List<String> la = Files.readAllLines(a);
    List<String> lb = Files.readAllLines(b);
    assertThat(lb).hasSameSizeAs(la);
    for (int i = 0; i < la.size(); i++) {
      var x = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(la.get(i));
      var y = (com.fasterxml.jackson.databind.node.ObjectNode) json.readTree(lb.get(i));
      x.remove("seconds");
      y.remove("seconds");
      assertThat(y).isEqualTo(x);
    }
  }

  @Test
  void simulate_csvWithMissingValue_failsNamingFileLineAndColumn() throws Exception {
    Path csv = tmp.resolve("bad.csv");
    Files.writeString(csv, "age,income,label\n30,1000,0\n41,,1\n25,800,0\n");
    CliRun r = CliRun.of("simulate", "--dataset", csv.toString(), "--rounds", "1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("bad.csv").contains("line 3").contains("income");
  }

  @Test
  void evaluate_csvPath_defaultsToAllRows() throws Exception {
    Path csv = tmp.resolve("tiny.csv");
    StringBuilder sb = new StringBuilder("a,b,label\n");
    for (int i = 0; i < 40; i++) {
      sb.append(i % 7).append(',').append((i * 3) % 5).append(',').append(i % 2).append('\n');
    }
    Files.writeString(csv, sb.toString());
    Path model = tmp.resolve("tiny.stm");
    assertThat(CliRun.of("simulate", "--dataset", csv.toString(), "--clients", "2", "--rounds", "2", "--model", "logreg",
        "--model-out", model.toString()).code()).isZero();
    CliRun e = CliRun.of("evaluate", "--model", model.toString(), "--dataset", csv.toString());
    assertThat(e.code()).as(e.err()).isZero();
    assertThat(e.out()).contains("split all: 40 rows").contains("auc");
  }

  @Test
  void evaluate_corruptModelFile_failsWithClearMessage() throws Exception {
    Path model = tmp.resolve("m.stm");
    assertThat(CliRun.of("simulate", "--rounds", "1", "--model-out", model.toString()).code()).isZero();
    byte[] bytes = Files.readAllBytes(model);
    bytes[bytes.length / 2] ^= 0x5A;
    Files.write(model, bytes);
    CliRun r = CliRun.of("evaluate", "--model", model.toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains(model.toString()).contains("checksum mismatch");
  }

  @Test
  void badFlagValues_exit2NamingTheFlag() {
    CliRun clients = CliRun.of("simulate", "--clients", "0");
    assertThat(clients.code()).isEqualTo(2);
    assertThat(clients.err()).contains("--clients must be > 0").doesNotContain("numClients");
    CliRun epochs = CliRun.of("simulate", "--epochs", "0"); // the deprecated spelling of --local-epochs
    assertThat(epochs.code()).isEqualTo(2);
    assertThat(epochs.err()).contains("--local-epochs must be > 0");
    CliRun shard = CliRun.of("client", "--server", "127.0.0.1:1", "--id", "c", "--shard", "3");
    assertThat(shard.code()).isEqualTo(2);
    assertThat(shard.err()).contains("--shard must be I/N with 0 <= I < N").doesNotContain("out of bounds");
  }

  @Test
  void simulate_badStrategy_listsValidForms() {
    CliRun r = CliRun.of("simulate", "--strategy", "fedsgd");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("fedavg | avg | fedprox:MU").contains("fedsgd");
  }

  /** The repository's testdata/ folder (mnist-10k), passed in by surefire. */
  private static final String TEST_DATA = System.getProperty("starling.testdata", "../testdata");

  /** The accuracy cell of {@code rule}'s row, column {@code col} (0 = no attack), of the attack table. */
  private static double attackCell(String out, String rule, int col) {
    for (String line : out.split("\\R")) {
      if (line.trim().startsWith(rule)) {
        String cell = line.split("\\|")[col + 1].trim();
        return Double.parseDouble(cell.split(" ")[0]);
      }
    }
    throw new AssertionError("no row " + rule + " in\n" + out);
  }

  @Test
  void benchStrategies_quickAttacks_robustRulesSurviveSignFlipWhileFedAvgCollapses() {
    CliRun r = CliRun.of("bench", "strategies", "--quick", "--only", "attacks", "--data-dir", TEST_DATA);
    assertThat(r.code()).as(r.err()).isZero();
    double fedAvgClean = attackCell(r.out(), "FedAvg", 0);
    double fedAvgFlip = attackCell(r.out(), "FedAvg", 1);
    assertThat(fedAvgFlip).as(r.out()).isLessThan(fedAvgClean - 0.3);
    for (String rule : List.of("CoordinateMedian", "MultiKrum", "Bulyan")) {
      assertThat(attackCell(r.out(), rule, 1)).as(rule + "\n" + r.out()).isGreaterThan(fedAvgFlip + 0.3);
    }
    assertThat(r.out()).containsPattern("MultiKrum.*\\|.*\\(100%/  0%\\)");
  }

  @Test
  void simulate_attackWithMultiKrum_summaryReportsDetection() {
    CliRun r = CliRun.of("simulate", "--strategy", "multikrum:4", "--clients", "20", "--fraction", "1", "--attack", "sign-flip",
        "--malicious", "0.2", "--rounds", "3");
    assertThat(r.code()).as(r.err()).isZero();
    Matcher m = Pattern.compile("detection\\s+(\\d+) of (\\d+) attacker client-rounds flagged, (\\d+) honest").matcher(r.out());
    assertThat(m.find()).as(r.out()).isTrue();
    assertThat(Integer.parseInt(m.group(2))).isEqualTo(3 * 4);
    assertThat(Integer.parseInt(m.group(1))).isEqualTo(Integer.parseInt(m.group(2)));
    assertThat(Integer.parseInt(m.group(3))).isZero();
  }

  @Test
  void simulate_codecsAndSubModels_countEncodedBytesAndRefuseBadCombinations() throws Exception {
    Path metrics = tmp.resolve("c.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "2", "--uplink-codec", "int8", "--downlink-codec", "fp16", "--metrics-out", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("codecs    uplink int8, downlink fp16");
    JsonNode first = new ObjectMapper().readTree(Files.readAllLines(metrics).get(0));
    double ratio = first.get("bytes_up").asDouble() / first.get("bytes_down").asDouble();
    assertThat(ratio).isBetween(0.5, 0.54); // int8 (about 1.03 bytes a value) over fp16 (2 bytes)

    CliRun bad = CliRun.of("simulate", "--uplink-codec", "int3");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("'int3'").contains("topk:F");

    CliRun robust = CliRun.of("simulate", "--submodel", "fisher", "--strategy", "median");
    assertThat(robust.code()).isEqualTo(2);
    assertThat(robust.err()).contains("position-wise").contains("--strategy fedavg");

    CliRun sub = CliRun.of("simulate", "--rounds", "3", "--submodel", "fisher", "--keep", "0.25-0.75");
    assertThat(sub.code()).as(sub.err()).isZero();
    assertThat(sub.out()).contains("strategy  PositionwiseFedAvg").contains("submodels fisher, keep 0.25-0.75");
  }

  /** The "vs none" cell (uplink bytes relative to float32) of a row of the compression table. */
  private static double uplinkShare(String out, String row) {
    for (String line : out.split("\\R")) {
      if (line.startsWith(row + " ")) {
        return Double.parseDouble(line.split("\\|")[3].trim().replace("%", ""));
      }
    }
    throw new AssertionError("no row " + row + " in\n" + out);
  }

  @Test
  void benchCompression_quick_uplinkSharesMatchTheCodecs() {
    CliRun r = CliRun.of("bench", "compression", "--quick", "--only", "training", "--data-dir", TEST_DATA);
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(uplinkShare(r.out(), "fp16")).isEqualTo(50.0);
    assertThat(uplinkShare(r.out(), "int8")).isBetween(25.0, 26.5);
    assertThat(uplinkShare(r.out(), "topk:0.01")).isBetween(1.0, 2.0);
    // the denser, cheaper-valued top-k rows stay under 2% of the float32 bytes (50x fewer)
    assertThat(uplinkShare(r.out(), "topk:0.04+int8+zstd + EF")).isBetween(1.0, 2.0);
    assertThat(uplinkShare(r.out(), "topk:0.06+int4+zstd + EF")).isBetween(1.0, 2.0);
    assertThat(uplinkShare(r.out(), "FisherDropout keep 0.25")).isBetween(24.0, 26.0);
    assertThat(r.out()).containsPattern("FisherDropout 0.25 \\+ local DP .*\\| [0-9.]+ \\(max over clients\\)");
  }

  @Test
  void benchSecagg_smallSizes_sparseGraphBelowCompleteAndEveryRowExact() {
    CliRun r = CliRun.of("bench", "secagg", "--clients", "8,40", "--params", "300", "--complete-max", "8", "--failure", "0.5");
    assertThat(r.code()).as(r.err()).isZero();
    List<String> rows = r.out().lines().filter(l -> l.matches("\\s+\\d+ \\|.*")).toList();
    assertThat(rows).hasSize(4);
    assertThat(rows.get(2)).contains("SecAgg (complete)").contains("skipped");
    // SecAgg+ at 40 clients: fewer than 39 neighbours, threshold k/2 + 1, exact sum
    String[] plus = rows.get(3).split("\\|");
    int k = Integer.parseInt(plus[2].trim());
    assertThat(k).isBetween(2, 38);
    assertThat(Integer.parseInt(plus[3].trim())).isEqualTo(k / 2 + 1);
    assertThat(rows).filteredOn(l -> !l.contains("skipped")).allMatch(l -> l.endsWith("| yes"));
    CliRun bad = CliRun.of("bench", "secagg", "--clients", "100,2");
    assertThat(bad.code()).isEqualTo(2);
    assertThat(bad.err()).contains("--clients must be at least 3 each; got 2");
  }

  @Test
  void help_everyCommand_rendersWithoutFormattingWarnings() {
    String[][] commands = {{"simulate"}, {"evaluate"}, {"server"}, {"client"}, {"privacy"}, {"bench", "strategies"},
        {"bench", "compression"}, {"bench", "privacy"}, {"bench", "aggregate"}, {"bench", "scale"}, {"bench", "transport"},
        {"bench", "secagg-grpc"}, {"bench", "secagg"}};
    for (String[] c : commands) {
      String[] args = java.util.Arrays.copyOf(c, c.length + 1);
      args[c.length] = "--help";
      CliRun r = CliRun.of(args);
      assertThat(r.code()).as(String.join(" ", c)).isZero();
      assertThat(r.out() + r.err()).as(String.join(" ", c)).doesNotContain("WARN").contains("Usage:");
    }
  }
}
