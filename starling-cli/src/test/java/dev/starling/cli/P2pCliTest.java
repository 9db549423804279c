package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class P2pCliTest {
  @TempDir
  Path dir;

  @Test
  void simulateP2pWritesTheMetricsContractWithGossipFieldsAndIsDeterministic() throws Exception {
    Path a = dir.resolve("a.jsonl");
    Path b = dir.resolve("b.jsonl");
    CliRun r = CliRun.of("simulate", "--p2p", "torus", "--clients", "8", "--rounds", "4", "--model", "logreg",
        "--partition", "dirichlet:0.5", "--metrics-out", a.toString(), "--threads", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("torus:2x4, 8 peers, gossip dpsgd").contains("peers' own test accuracy");
    assertThat(CliRun.of("simulate", "--p2p", "torus", "--clients", "8", "--rounds", "4", "--model", "logreg",
        "--partition", "dirichlet:0.5", "--metrics-out", b.toString(), "--threads", "1").code()).isZero();
    List<String> lines = Files.readAllLines(a);
    assertThat(lines).hasSize(4);
    // identical with 1 and 2 threads, except the wall-clock seconds
    assertThat(Files.readAllLines(b).stream().map(P2pCliTest::noSeconds).toList())
        .isEqualTo(lines.stream().map(P2pCliTest::noSeconds).toList());
    ObjectMapper json = new ObjectMapper();
    for (int i = 0; i < 4; i++) {
      JsonNode x = json.readTree(lines.get(i));
      JsonNode y = json.readTree(Files.readAllLines(b).get(i));
      assertThat(x.get("test_accuracy").asDouble()).isEqualTo(y.get("test_accuracy").asDouble());
      assertThat(x.get("consensus_distance").asDouble()).isEqualTo(y.get("consensus_distance").asDouble()).isPositive();
      assertThat(x.get("peer_accuracy_min").asDouble()).isLessThanOrEqualTo(x.get("peer_accuracy_max").asDouble());
      assertThat(x.get("bytes_per_peer").asDouble()).isEqualTo(3 * (64 * 10 + 10) * 4.0); // 3 neighbours on a 2x4 torus (up = down)
      assertThat(x.get("round").asInt()).isEqualTo(i + 1);
    }
  }

  private static String noSeconds(String line) {
    return line.replaceAll("\"seconds\":[0-9.eE-]+", "\"seconds\":0");
  }

  @Test
  void p2pWithServerFeaturesExits2NamingTheFlag() {
    CliRun secagg = CliRun.of("simulate", "--p2p", "ring", "--secagg", "0.2");
    assertThat(secagg.code()).isEqualTo(2);
    assertThat(secagg.err()).contains("--secagg").contains("p2p");
    CliRun strategy = CliRun.of("simulate", "--p2p", "ring", "--strategy", "krum:1");
    assertThat(strategy.code()).isEqualTo(2);
    assertThat(strategy.err()).contains("--strategy").contains("no server");
    CliRun gossipAlone = CliRun.of("simulate", "--gossip", "push-sum");
    assertThat(gossipAlone.code()).isEqualTo(2);
    assertThat(gossipAlone.err()).contains("--gossip needs --p2p");
  }
}
