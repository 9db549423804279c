package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivacyCliTest {
  @TempDir
  Path tmp;

  private static double number(String text, String label) {
    Matcher m = Pattern.compile(label + " ([0-9.]+)").matcher(text);
    assertThat(m.find()).as(text).isTrue();
    return Double.parseDouble(m.group(1));
  }

  @Test
  void privacyEpsilon_opacusReference_printsEpsilon() {
    CliRun r = CliRun.of("privacy", "epsilon", "--sampling-rate", "0.04", "--noise-multiplier", "1.5", "--steps", "2250", "--delta", "1e-5");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(number(r.out(), "epsilon")).isBetween(7.329, 7.3292);
  }

  @Test
  void privacyNoise_solvesForTheMultiplierBothAccountants() {
    CliRun r = CliRun.of("privacy", "noise", "--sampling-rate", "0.04", "--target-epsilon", "7.3292", "--steps", "2250");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(number(r.out(), "noise multiplier")).isBetween(1.499, 1.501);
    CliRun p = CliRun.of("privacy", "noise", "--sampling-rate", "0.04", "--target-epsilon", "7.3292", "--steps", "2250", "--accountant", "prv");
    assertThat(p.code()).as(p.err()).isZero();
    assertThat(number(p.out(), "noise multiplier")).isLessThan(1.5).isGreaterThan(1.2);
  }

  @Test
  void simulate_targetEpsilon_stopsBeforeExceedingAndReportsEpsilon() throws Exception {
    Path metrics = tmp.resolve("m.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "30", "--seed", "3", "--clients", "20", "--fraction", "0.5", "--local-epochs", "1",
        "--dp", "central:1.0,1.0", "--dp-noise", "seeded", "--target-epsilon", "4", "--metrics-out", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("privacy budget: round").contains("> target 4.0");
    List<String> lines = Files.readAllLines(metrics);
    assertThat(lines.size()).isBetween(1, 29);
    ObjectMapper json = new ObjectMapper();
    double last = 0;
    for (String line : lines) {
      JsonNode o = json.readTree(line);
      double eps = o.get("epsilon").asDouble();
      assertThat(eps).isGreaterThan(last).isLessThanOrEqualTo(4.0);
      assertThat(o.get("delta").asDouble()).isEqualTo(1e-5);
      last = eps;
    }
  }

  @Test
  void simulate_budgetTooSmallForOneRound_refusesToStart() {
    CliRun r = CliRun.of("simulate", "--rounds", "5", "--dp", "central:1.0,0.5", "--target-epsilon", "0.1");
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("refusing to start").contains("raise the noise multiplier");
  }

  @Test
  void simulate_centralDpWithRobustRule_refusedWithAlternative() {
    CliRun r = CliRun.of("simulate", "--rounds", "2", "--strategy", "krum:1", "--dp", "central:1.0,1.0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("individual updates");
  }

  @Test
  void simulate_secaggWithRobustRule_refusedBeforeRound1WithAlternative() {
    CliRun r = CliRun.of("simulate", "--rounds", "2", "--strategy", "median", "--secagg", "0.3");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("secure aggregation cannot run").contains("only the sum").contains("--dp local");
    assertThat(r.out()).doesNotContain("round |");
  }

  @Test
  void simulate_secaggPlusNeighbours_runsOnTheSparseGraphWithTheSameAccuracy() throws Exception {
    Path plus = tmp.resolve("plus.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "3", "--seed", "4", "--clients", "12", "--strategy", "avg",
        "--secagg", "0.3,8,4", "--metrics-out", plus.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("SecAgg+ 4 neighbours");
    Path full = tmp.resolve("full.jsonl");
    CliRun f = CliRun.of("simulate", "--rounds", "3", "--seed", "4", "--clients", "12", "--strategy", "avg",
        "--secagg", "0.3", "--metrics-out", full.toString());
    assertThat(f.code()).as(f.err()).isZero();
    ObjectMapper json = new ObjectMapper();
    JsonNode x = json.readTree(Files.readAllLines(plus).get(2));
    JsonNode y = json.readTree(Files.readAllLines(full).get(2));
    assertThat(x.get("test_accuracy").asDouble()).isCloseTo(y.get("test_accuracy").asDouble(),
        org.assertj.core.api.Assertions.within(0.02));
    assertThat(x.get("secagg_bytes_up").asLong()).isLessThan(y.get("secagg_bytes_up").asLong());
    CliRun odd = CliRun.of("simulate", "--rounds", "1", "--secagg", "0.3,8,5");
    assertThat(odd.code()).isNotZero();
    assertThat(odd.err()).contains("--secagg").contains("even");
  }

  @Test
  void simulate_secaggAuth_runsTheAuthenticatedProtocolWithTheSameModel() throws Exception {
    Path auth = tmp.resolve("auth.jsonl");
    // 4 clients a round: a threshold above 4/2 (3 of the 3 other clients) tolerates no drop-out, so DROPOUT < 1/4
    CliRun r = CliRun.of("simulate", "--rounds", "2", "--seed", "4", "--clients", "8", "--strategy", "avg",
        "--secagg", "0.2", "--secagg-auth", "--metrics-out", auth.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("authenticated (signed keys, consistency check)");
    Path plain = tmp.resolve("plain.jsonl");
    CliRun p = CliRun.of("simulate", "--rounds", "2", "--seed", "4", "--clients", "8", "--strategy", "avg",
        "--secagg", "0.2", "--metrics-out", plain.toString());
    assertThat(p.code()).as(p.err()).isZero();
    ObjectMapper json = new ObjectMapper();
    JsonNode x = json.readTree(Files.readAllLines(auth).get(1));
    JsonNode y = json.readTree(Files.readAllLines(plain).get(1));
    // the unmasked sum is exact either way: the same model, the same accuracy
    assertThat(x.get("test_accuracy").asDouble()).isEqualTo(y.get("test_accuracy").asDouble());
    assertThat(x.get("secagg_bytes_up").asLong()).isGreaterThan(y.get("secagg_bytes_up").asLong()); // signatures
    CliRun alone = CliRun.of("simulate", "--rounds", "1", "--secagg-auth");
    assertThat(alone.code()).isEqualTo(2);
    assertThat(alone.err()).contains("--secagg-auth").contains("needs --secagg");
  }

  @Test
  void simulate_secaggWithDropouts_trainsAndMatchesPlainAverageAccuracy() throws Exception {
    Path m1 = tmp.resolve("sa.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "5", "--seed", "4", "--clients", "20", "--fraction", "0.5", "--strategy", "avg",
        "--dropout", "0.2", "--secagg", "0.3", "--metrics-out", m1.toString()); // 10 a round: 3 may drop
    assertThat(r.code()).as(r.err()).isZero();
    Path m2 = tmp.resolve("plain.jsonl");
    CliRun p = CliRun.of("simulate", "--rounds", "5", "--seed", "4", "--clients", "20", "--fraction", "0.5", "--strategy", "avg",
        "--dropout", "0.2", "--metrics-out", m2.toString());
    assertThat(p.code()).as(p.err()).isZero();
    ObjectMapper json = new ObjectMapper();
    List<String> a = Files.readAllLines(m1);
    List<String> b = Files.readAllLines(m2);
    assertThat(a).hasSize(5);
    boolean sawDropout = false;
    for (int i = 0; i < 5; i++) {
      JsonNode x = json.readTree(a.get(i));
      JsonNode y = json.readTree(b.get(i));
      assertThat(x.get("secagg_bytes_up").asLong()).isPositive();
      assertThat(x.get("secagg_unmask_failed")).isNull();
      sawDropout |= x.get("failures").size() > 0;
      // Fixed-point rounding is the only difference from the plain average.
      assertThat(x.get("test_accuracy").asDouble()).isCloseTo(y.get("test_accuracy").asDouble(),
          org.assertj.core.api.Assertions.within(0.02));
    }
    assertThat(sawDropout).isTrue();
  }

  @Test
  void simulate_dpSgd_reportsExampleLevelEpsilonAndStopsAtBudget() throws Exception {
    Path metrics = tmp.resolve("dpsgd.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "10", "--seed", "2", "--clients", "5", "--fraction", "1", "--local-epochs", "1",
        "--model", "logreg", "--batch-size", "32", "--dp-sgd", "1.0,1.0", "--dp-noise", "seeded", "--target-epsilon", "8",
        "--metrics-out", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    List<String> lines = Files.readAllLines(metrics);
    assertThat(lines.size()).isBetween(1, 9);
    double eps = new ObjectMapper().readTree(lines.get(lines.size() - 1)).get("epsilon").asDouble();
    assertThat(eps).isPositive().isLessThanOrEqualTo(8.0);
    assertThat(r.out()).contains("privacy budget: another round");
    CliRun refused = CliRun.of("simulate", "--rounds", "10", "--seed", "2", "--clients", "5", "--fraction", "1", "--local-epochs", "1",
        "--model", "logreg", "--batch-size", "32", "--dp-sgd", "1.0,1.0", "--target-epsilon", "1");
    assertThat(refused.code()).isEqualTo(1);
    assertThat(refused.err()).contains("refusing to start: one round of DP-SGD");
  }

  @Test
  void benchPrivacy_quickSecagg_everyRowIsExact() {
    CliRun r = CliRun.of("bench", "privacy", "--quick", "--only", "secagg");
    assertThat(r.code()).as(r.err()).isZero();
    long rows = r.out().lines().filter(l -> l.matches("\\s+\\d+ \\|.*")).count();
    assertThat(rows).isEqualTo(4);
    assertThat(r.out()).doesNotContain("| NO");
  }

  @Test
  void simulate_centralDpOverSecagg_reportsEpsilonAndStopsAtBudget() throws Exception {
    Path metrics = tmp.resolve("dpsa.jsonl");
    CliRun r = CliRun.of("simulate", "--rounds", "30", "--seed", "3", "--clients", "20", "--fraction", "0.5", "--local-epochs", "1",
        "--dp", "central:1.0,1.0", "--secagg", "0.3", "--dp-noise", "seeded", "--target-epsilon", "4",
        "--metrics-out", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("SecureAggregation(").contains("central DP C=1.0").contains("> target 4.0");
    List<String> lines = Files.readAllLines(metrics);
    assertThat(lines.size()).isBetween(1, 29);
    JsonNode last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertThat(last.get("epsilon").asDouble()).isPositive().isLessThanOrEqualTo(4.0);
    assertThat(last.get("secagg_bytes_up").asLong()).isPositive();
  }

  @Test
  void simulate_seededDpNoise_reproducesBitForBit() throws Exception {
    String[] args = {"simulate", "--rounds", "3", "--seed", "7", "--dp", "central:1.0,0.8", "--dp-noise", "seeded",
        "--metrics-out", null};
    List<String> runs = new java.util.ArrayList<>();
    for (int i = 0; i < 2; i++) {
      Path m = tmp.resolve("seeded" + i + ".jsonl");
      args[args.length - 1] = m.toString();
      assertThat(CliRun.of(args).code()).isZero();
      StringBuilder acc = new StringBuilder();
      for (String line : Files.readAllLines(m)) {
        JsonNode o = new ObjectMapper().readTree(line);
        acc.append(o.get("test_loss").asDouble()).append(',').append(o.get("epsilon").asDouble()).append(';');
      }
      runs.add(acc.toString());
    }
    assertThat(runs.get(1)).isEqualTo(runs.get(0));
  }
}
