package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code starling demo credit} on the Lending Club copy bundled in starling-data (its licence allows it), so it runs
 * in the README's hermetic test command: one client per state, label-flipping states, Multi-Krum against FedAvg.
 */
class DemoCreditCliTest {

  @TempDir
  Path tmp;

  private DemoOutput out;

  @BeforeEach
  void output() {
    out = new DemoOutput(tmp);
  }

  @Test
  void credit_multiKrumFlagsTheLabelFlippersAndKeepsAuc() throws Exception {
    CliRun r = out.demo("credit", 10);
    // measured: clean FedAvg 0.709, attacked FedAvg 0.700, median 0.638, Multi-Krum 0.685 (flags 24 of 26)
    assertThat(out.last("fedavg-clean").get("test_auc").asDouble()).isGreaterThan(0.68);
    assertThat(out.last("multikrum-attacked").get("test_auc").asDouble()).isGreaterThan(0.66);
    double selected = out.sum("multikrum-attacked", "malicious_selected");
    assertThat(selected).isGreaterThan(0);
    assertThat(out.sum("multikrum-attacked", "malicious_flagged")).isGreaterThanOrEqualTo(0.8 * selected);
    assertThat(out.sum("fedavg-attacked", "malicious_flagged")).isZero();
    assertThat(r.out()).contains("attackers 5 of 50 clients");
  }

}
