package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling demo NAME} on the real data sets that may not be copied into the project (heart disease, Beijing
 * air quality, Tiny Shakespeare, adult income), read from {@code ../shared/data}, each on a small budget, asserting
 * the demo's claim. This folder ({@code src/demo-test}) is compiled only by the {@code demos} profile, so the
 * README's test command never sees it; {@code .ci/run} runs {@code ./mvnw -Pdemos -pl starling-cli test} after it,
 * where {@code ../shared/data} exists. The credit demo, on the bundled Lending Club copy, is {@code DemoCreditCliTest}
 * in the default build.
 */
@Tag("demo")
class DemoCliTest {
  private static final Path DATA = Path.of(System.getProperty("starling.shareddata", "../../shared/data"));

  @TempDir
  Path tmp;

  private DemoOutput out;

  @BeforeEach
  void output() {
    out = new DemoOutput(tmp, "--data-dir", DATA.toString());
  }

  @BeforeAll
  static void dataIsThere() {
    assertThat(DATA.resolve("README.md")).as("the demo tests read " + DATA.toAbsolutePath()
        + " (-Dstarling.shareddata=DIR)").isRegularFile();
  }

  @Test
  void hospitals_federationWithSecAggAndCentralDpBeatsTheWorstHospitalAlone() throws Exception {
    CliRun r = out.demo("hospitals", 10);
    JsonNode fed = out.last("federation");
    double auc = fed.get("test_auc").asDouble();
    List<Double> alone = new ArrayList<>();
    for (String h : DemoData.HOSPITALS) {
      alone.add(out.last("alone-" + h).get("test_auc").asDouble());
    }
    // measured: federation 0.859; alone 0.841, 0.818, 0.525 (switzerland: 93 patients, 7 without disease), 0.844
    assertThat(auc).isGreaterThan(0.82).isGreaterThan(alone.stream().mapToDouble(d -> d).min().orElseThrow());
    assertThat(fed.get("epsilon").asDouble()).isBetween(1.0, 15.0); // 11.4 after 10 rounds at z = 1.5
    assertThat(fed.get("clients_succeeded").asInt()).isEqualTo(4);
    assertThat(r.out()).contains("federation (secagg + central DP)").contains("switzerland alone");
    String html = Files.readString(tmp.resolve("report.html"));
    assertThat(html).contains("<a href=\"#chart-roc-auc\">ROC AUC</a>").contains("Heart disease: AUC on the held-out");
  }

  @Test
  void airQuality_federationHasALowerRmseThanTheWorstStationAlone() throws Exception {
    out.demo("air-quality", 3);
    double fed = out.last("federation").get("test_rmse").asDouble();
    double worst = 0;
    try (var files = Files.list(tmp)) {
      for (Path p : files.filter(f -> f.getFileName().toString().startsWith("alone-")).toList()) {
        worst = Math.max(worst, out.last(p.getFileName().toString().replace(".jsonl", "")).get("test_rmse").asDouble());
      }
    }
    // measured: federation 24.1 ug/m3; stations alone 23.6 .. 30.6
    assertThat(fed).isLessThan(26.0).isLessThan(worst);
    assertThat(out.last("federation").get("test_r2").asDouble()).isGreaterThan(0.9);
  }

  @Test
  void keyboard_lstmBeatsTheMostFrequentCharacter() throws Exception {
    CliRun r = out.demo("keyboard", 3);
    double acc = out.last("federation").get("test_accuracy").asDouble();
    String base = r.out().lines().filter(l -> l.startsWith("most frequent character")).findFirst().orElseThrow();
    double baseline = Double.parseDouble(base.split("\\|")[1].strip());
    // measured: 0.250 after 3 rounds (0.306 after 8); the most frequent character (space) is 0.160
    assertThat(acc).isGreaterThan(baseline + 0.05);
  }

  @Test
  void income_fedProxAndFedAvgBothLearnUnderLabelSkew() throws Exception {
    CliRun r = out.demo("income", 6);
    // measured: FedAvg 0.829 / AUC 0.898, FedProx 0.830 / 0.893; 75.9% earn <=50K
    for (String run : List.of("fedavg", "fedprox")) {
      assertThat(out.last(run).get("test_accuracy").asDouble()).as(run).isGreaterThan(0.80);
      assertThat(out.last(run).get("test_auc").asDouble()).as(run).isGreaterThan(0.86);
    }
    assertThat(r.out()).contains("FedProx (mu 0.1)");
  }
}
