package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling demo credit} on the Lending Club copy bundled in starling-data (its licence allows it), so it runs
 * in the README's hermetic test command: one client per state, label-flipping states, Multi-Krum against FedAvg.
 */
class DemoCreditCliTest {
  private static final ObjectMapper JSON = new ObjectMapper();

  @TempDir
  Path tmp;

  private CliRun demo(String name, int rounds) {
    CliRun r = CliRun.of("demo", name, "--rounds", Integer.toString(rounds), "--threads", "2", "--out", tmp.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(tmp.resolve("report.html")).isRegularFile();
    return r;
  }

  private JsonNode last(String run) throws Exception {
    List<String> lines = Files.readAllLines(tmp.resolve(run + ".jsonl"));
    return JSON.readTree(lines.get(lines.size() - 1));
  }

  private double sum(String run, String field) throws Exception {
    double s = 0;
    for (String l : Files.readAllLines(tmp.resolve(run + ".jsonl"))) {
      s += JSON.readTree(l).path(field).asDouble(0);
    }
    return s;
  }

  @Test
  void credit_multiKrumFlagsTheLabelFlippersAndKeepsAuc() throws Exception {
    CliRun r = demo("credit", 10);
    // measured: clean FedAvg 0.709, attacked FedAvg 0.700, median 0.638, Multi-Krum 0.685 (flags 24 of 26)
    assertThat(last("fedavg-clean").get("test_auc").asDouble()).isGreaterThan(0.68);
    assertThat(last("multikrum-attacked").get("test_auc").asDouble()).isGreaterThan(0.66);
    double selected = sum("multikrum-attacked", "malicious_selected");
    assertThat(selected).isGreaterThan(0);
    assertThat(sum("multikrum-attacked", "malicious_flagged")).isGreaterThanOrEqualTo(0.8 * selected);
    assertThat(sum("fedavg-attacked", "malicious_flagged")).isZero();
    assertThat(r.out()).contains("attackers 5 of 50 clients");
  }

}
