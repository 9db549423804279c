package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code --model djl:...} through the CLI: the djl learner provider found on the class path (starling-djl). */
class DjlCliTest {
  @TempDir
  Path tmp;

  @Test
  void simulate_tinyCnnOnDigits_printsItsParameterCountAndLearns() throws Exception {
    Path metrics = tmp.resolve("m.jsonl");
    CliRun r = CliRun.of("simulate", "--model", "djl:cnn:4,8,16", "--dataset", "digits", "--rounds", "2", "--clients",
        "3", "--fraction", "1", "--lr", "0.03", "--momentum", "0.9", "--batch-size", "10", "--seed", "7", "--threads", "2", "--metrics-out", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    // conv 1->4 (5x5): 104, conv 4->8: 808, dense 8*2*2=32 -> 16: 528, out 16 -> 10: 170
    assertThat(r.out()).contains("model     djl:cnn:4,8,16 (1,610 parameters)");
    List<String> lines = Files.readAllLines(metrics);
    var last = new ObjectMapper().readTree(lines.get(lines.size() - 1));
    assertThat(last.get("round").asInt()).isEqualTo(2);
    assertThat(last.get("test_accuracy").asDouble()).isGreaterThan(0.85); // 0.90 here; one round gives 0.61
  }

  @Test
  void unknownDjlModel_exitsTwoNamingTheSpec() {
    CliRun r = CliRun.of("simulate", "--model", "djl:foo", "--dataset", "digits", "--rounds", "1");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("djl:foo").contains("djl:cnn");
    assertThat(r.out()).doesNotContain("round 1");
  }
}
