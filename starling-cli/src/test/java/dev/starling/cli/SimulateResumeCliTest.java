package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code simulate --checkpoint-dir DIR [--resume]}: 3 rounds + resume to 6 is the 6-round run, bit for bit. */
class SimulateResumeCliTest {
  @TempDir
  Path tmp;

  private static final ObjectMapper JSON = new ObjectMapper();

  private static CliRun simulate(String setup, int rounds, String... more) {
    List<String> args = new ArrayList<>(List.of("simulate", "--clients", "6", "--fraction", "0.5", "--local-epochs", "1",
        "--seed", "11", "--threads", "2", "--rounds", Integer.toString(rounds)));
    args.addAll(List.of(setup.split(" ")));
    args.addAll(List.of(more));
    return CliRun.of(args.toArray(String[]::new));
  }

  private static List<ObjectNode> metricsWithoutSeconds(Path file) throws Exception {
    List<ObjectNode> out = new ArrayList<>();
    for (String line : Files.readAllLines(file)) {
      ObjectNode n = (ObjectNode) JSON.readTree(line);
      n.remove("seconds");
      out.add(n);
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(strings = {
      "--strategy scaffold --uplink-codec topk:0.1 --error-feedback",
      "--strategy fedadam --dp central-adaptive:0.5,0.2 --dp-noise seeded --target-epsilon 500",
      "--dp-sgd 1.0,1.0 --dp-noise seeded --target-epsilon 500"})
  void threeRoundsThenResumeToSix_isTheSixRoundRun(String setup) throws Exception {
    Path wholeModel = tmp.resolve("whole.stm");
    Path wholeMetrics = tmp.resolve("whole.jsonl");
    CliRun whole = simulate(setup, 6, "--model-out", wholeModel.toString(), "--metrics-out", wholeMetrics.toString());
    assertThat(whole.code()).as(whole.err()).isZero();

    Path dir = tmp.resolve("ckpt");
    Path model = tmp.resolve("resumed.stm");
    Path metrics = tmp.resolve("resumed.jsonl");
    CliRun first = simulate(setup, 3, "--checkpoint-dir", dir.toString(), "--metrics-out", metrics.toString());
    assertThat(first.code()).as(first.err()).isZero();
    CliRun resumed = simulate(setup, 6, "--checkpoint-dir", dir.toString(), "--resume", "--model-out", model.toString(),
        "--metrics-out", metrics.toString());
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming  from the checkpoint of round 3");

    assertThat(Files.readAllBytes(model)).isEqualTo(Files.readAllBytes(wholeModel));
    List<ObjectNode> want = metricsWithoutSeconds(wholeMetrics);
    assertThat(want).hasSize(6);
    assertThat(metricsWithoutSeconds(metrics)).isEqualTo(want);
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString()).sorted().toList())
          .containsExactly("checkpoint-000005.ckpt", "checkpoint-000006.ckpt");
    }
  }

  /**
   * An asynchronous mode checkpoints after every aggregation and resumes from the model version, history and
   * simulated clock of the checkpoint (jobs in flight then are lost, so it is not the uninterrupted run); another
   * mode on the same directory is bad usage.
   */
  @Test
  void buffered_threeAggregationsThenResumeToSix_continuesVersionAndClock() throws Exception {
    String setup = "--sync buffered:2 --client-speed lognormal:6,1";
    Path dir = tmp.resolve("ckpt");
    Path metrics = tmp.resolve("resumed.jsonl");
    CliRun first = simulate(setup, 3, "--checkpoint-dir", dir.toString(), "--metrics-out", metrics.toString());
    assertThat(first.code()).as(first.err()).isZero();
    List<ObjectNode> three = metricsWithoutSeconds(metrics);
    CliRun other = simulate("--sync async", 6, "--checkpoint-dir", dir.toString(), "--resume");
    assertThat(other.code()).isEqualTo(2);
    assertThat(other.err()).contains("sync is 'buffered:2,1.0' in the checkpoint but 'async:0.6,poly:0.5' now");

    CliRun resumed = simulate(setup, 6, "--checkpoint-dir", dir.toString(), "--resume", "--metrics-out",
        metrics.toString());
    assertThat(resumed.code()).as(resumed.err()).isZero();
    assertThat(resumed.out()).contains("resuming  from the checkpoint of round 3");
    List<ObjectNode> six = metricsWithoutSeconds(metrics);
    assertThat(six).hasSize(6);
    assertThat(six.subList(0, 3)).isEqualTo(three);
    double clock3 = three.get(2).get("sim_seconds").asDouble();
    for (int i = 3; i < 6; i++) {
      assertThat(six.get(i).get("model_version").asInt()).isEqualTo(i + 1);
      assertThat(six.get(i).get("sim_seconds").asDouble()).isGreaterThan(clock3);
    }
  }

  @Test
  void misuse_isBadUsageBeforeTraining() throws Exception {
    CliRun noDir = CliRun.of("simulate", "--resume");
    assertThat(noDir.code()).isEqualTo(2);
    assertThat(noDir.err()).contains("--resume needs --checkpoint-dir");

    Path dir = tmp.resolve("ckpt");
    CliRun nothing = CliRun.of("simulate", "--rounds", "1", "--checkpoint-dir", dir.toString(), "--resume");
    assertThat(nothing.code()).isEqualTo(2);
    assertThat(nothing.err()).contains("nothing to resume");

    assertThat(CliRun.of("simulate", "--rounds", "1", "--seed", "3", "--checkpoint-dir", dir.toString()).code()).isZero();
    CliRun again = CliRun.of("simulate", "--rounds", "2", "--seed", "3", "--checkpoint-dir", dir.toString());
    assertThat(again.code()).isEqualTo(2);
    assertThat(again.err()).contains("already holds checkpoints").contains("--resume");
    assertThat(again.out()).doesNotContain("round 1");

    CliRun other = CliRun.of("simulate", "--rounds", "2", "--seed", "4", "--checkpoint-dir", dir.toString(), "--resume");
    assertThat(other.code()).isEqualTo(2);
    assertThat(other.err()).contains("seed is '3' in the checkpoint but '4' now");
  }
}
