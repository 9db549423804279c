package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

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

  /**
   * Three rounds of {@code model} on digits, three clients training sub-models chosen by {@code policy} at keep 0.5;
   * checks the run started as asked ({@code parameters} in the banner) and returns its metrics lines.
   */
  private List<String> simulateSubModels(String model, String policy, String parameters) throws Exception {
    Path metrics = tmp.resolve(policy + ".jsonl");
    CliRun r = CliRun.of("simulate", "--model", model, "--dataset", "digits", "--rounds", "3", "--clients", "3",
        "--fraction", "1", "--lr", "0.05", "--momentum", "0.9", "--batch-size", "10", "--seed", "7", "--threads", "2",
        "--submodel", policy, "--keep", "0.5", "--metrics-out", metrics.toString());
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains(model + " (" + parameters + " parameters)").contains("strategy  PositionwiseFedAvg")
        .contains("submodels " + policy + ", keep 0.5");
    return Files.readAllLines(metrics);
  }

  @Test
  void simulate_federatedDropoutOfTheCnnDenseLayer_learnsWithTheSmallerSubModel() throws Exception {
    List<String> lines = simulateSubModels("djl:cnn:8,16,64", "federated-dropout", "8,234");
    assertThat(lines).hasSize(3);
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      var round = json.readTree(line);
      // conv 208 + 3,216, dense 32 of 64 units (32*64+32), output 10*32+10: 5,834 of 8,234 parameters per client
      assertThat(round.get("mean_trained_fraction").asDouble()).isCloseTo(5834.0 / 8234, within(1e-9));
      // three clients send 4 bytes per kept parameter and the kept units' positions (a few bytes), not 3 * 32,936
      assertThat(round.get("bytes_up").asLong()).isBetween(3L * 4 * 5834, 3L * 4 * 5834 + 3 * 70);
    }
    // 0.886 here (the full model: 0.944); one round gives 0.74
    assertThat(json.readTree(lines.get(2)).get("test_accuracy").asDouble()).isGreaterThan(0.8);
  }

  @Test
  void simulate_fisherDropoutOfTheCnnDenseLayer_learnsWithTheSmallerSubModel() throws Exception {
    List<String> lines = simulateSubModels("djl:cnn:8,16,32", "fisher", "5,834");
    assertThat(lines).hasSize(3);
    ObjectMapper json = new ObjectMapper();
    for (String line : lines) {
      // conv 208 + 3,216, dense 16 of 32 units (16*64+16), output 10*16+10: 4,634 of 5,834 parameters per client
      assertThat(json.readTree(line).get("mean_trained_fraction").asDouble()).isCloseTo(4634.0 / 5834, within(1e-9));
    }
    // 0.911 here; one round gives 0.67
    assertThat(json.readTree(lines.get(2)).get("test_accuracy").asDouble()).isGreaterThan(0.85);
  }

  @Test
  void subModels_ofAnLstmOrTransformer_areRefusedWithExitTwoAndTheReason() throws Exception {
    CliRun lstm = CliRun.of("simulate", "--model", "djl:lstm:8,16,1", "--dataset", "digits", "--submodel",
        "federated-dropout", "--rounds", "1");
    assertThat(lstm.code()).isEqualTo(2);
    assertThat(lstm.err()).contains("--submodel").contains("LSTM are tied across its four gates and every time step")
        .contains("not supported");
    assertThat(lstm.out()).doesNotContain("round 1");

    CliRun fisher = CliRun.of("simulate", "--model", "djl:lstm:8,16,1", "--dataset", "digits", "--submodel", "fisher",
        "--rounds", "1");
    assertThat(fisher.code()).isEqualTo(2);
    assertThat(fisher.err()).contains("--submodel").contains("LSTM are tied").contains("not supported");
    assertThat(fisher.out()).doesNotContain("round 1");

    Path cfg = Files.writeString(tmp.resolve("run.properties"), "model = djl:transformer:1,16,2\n"
        + "submodel = federated-dropout\n");
    CliRun server = CliRun.of("server", "--host", "127.0.0.1", "--port", "0", "--config", cfg.toString());
    assertThat(server.code()).isEqualTo(2);
    assertThat(server.err()).contains("'submodel'").contains("transformer").contains("not supported");
  }
}
