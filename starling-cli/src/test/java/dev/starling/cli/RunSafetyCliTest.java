package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Output locations checked before round 1, corrupt checkpoints, and runs in which every round failed (issue 18). */
class RunSafetyCliTest {
  @TempDir
  Path tmp;

  @Test
  void simulate_unwritableModelOut_exits2BeforeTrainingNamingFlagAndPath() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    Path model = file.resolve("model.stm"); // a directory that cannot exist: its parent is a file
    CliRun r = CliRun.of("simulate", "--rounds", "1", "--model-out", model.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--model-out").contains(model.toString());
    assertThat(r.out()).doesNotContain("dataset"); // stopped before loading data, let alone round 1
  }

  @Test
  void simulate_metricsOutIsADirectory_exits2() {
    CliRun r = CliRun.of("simulate", "--rounds", "1", "--metrics-out", tmp.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--metrics-out").contains("is a directory");
  }

  @Test
  void server_unwritableCheckpointDir_exits2BeforeListening() throws Exception {
    Path file = Files.writeString(tmp.resolve("plain-file"), "x");
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--checkpoint-dir", file.resolve("ckpt").toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--checkpoint-dir").contains(file.resolve("ckpt").toString());
    assertThat(r.out()).doesNotContain("listening");
  }

  @Test
  void simulate_everyRoundFailed_exits1WithSummaryAndWritesNoModel() {
    // a learning rate this large makes every client's update non-finite: every update is rejected
    Path model = tmp.resolve("m.stm");
    CliRun r = CliRun.of("simulate", "--rounds", "2", "--clients", "3", "--lr", "1e30", "--model-out", model.toString());
    assertThat(r.code()).as(r.out() + r.err()).isEqualTo(1);
    assertThat(r.err()).contains("every round failed").contains("none of the 2 rounds committed an update");
    assertThat(model).doesNotExist();
  }

  private Path corruptCheckpointDir() throws Exception {
    Path ckpt = Files.createDirectories(tmp.resolve("ckpt"));
    Files.writeString(ckpt.resolve("checkpoint-000003.ckpt"), "torn");
    Files.writeString(ckpt.resolve("checkpoint-000002.ckpt"), "STRLCKPT garbage");
    return ckpt;
  }

  @Test
  void server_everyCheckpointCorrupt_refusesToStartNamingFilesAndTheFlag() throws Exception {
    Path ckpt = corruptCheckpointDir();
    Path metrics = Files.writeString(tmp.resolve("m.jsonl"), "{\"round\":1}\n");
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--checkpoint-dir", ckpt.toString(),
        "--metrics-out", metrics.toString(), "--config", Files.writeString(tmp.resolve("c.properties"), "model = flat:10\n").toString());
    assertThat(r.code()).isEqualTo(1);
    assertThat(r.err()).contains("checkpoint-000003.ckpt").contains("checkpoint-000002.ckpt")
        .contains("--discard-corrupt-checkpoints");
    assertThat(r.out()).doesNotContain("listening");
    assertThat(metrics).hasContent("{\"round\":1}"); // not truncated
    assertThat(ckpt.resolve("checkpoint-000003.ckpt")).exists();
  }

  @Test
  void server_everyCheckpointCorruptWithDiscardFlag_startsOverAndKeepsTheOldMetricsFile() throws Exception {
    Path ckpt = corruptCheckpointDir();
    Path metrics = Files.writeString(tmp.resolve("m.jsonl"), "{\"round\":1}\n");
    // no client ever joins: the run stops after the availability timeout, after the start-over decisions
    Path config = Files.writeString(tmp.resolve("c.properties"), "model = flat:10\nrounds = 1\nmin-fit-clients = 1\n"
        + "availability-timeout = 200ms\ndiscard-corrupt-checkpoints = true\n");
    CliRun r = CliRun.of("server", "--port", "0", "--host", "127.0.0.1", "--checkpoint-dir", ckpt.toString(),
        "--metrics-out", metrics.toString(), "--config", config.toString());
    assertThat(r.out()).contains("starting  a new run").contains("listening");
    assertThat(tmp.resolve("m.jsonl.discarded-1")).hasContent("{\"round\":1}");
    assertThat(ckpt.resolve("checkpoint-000003.ckpt.corrupt")).hasContent("torn");
    assertThat(ckpt.resolve("checkpoint-000003.ckpt")).doesNotExist();
    assertThat(r.err()).contains("clients available"); // then the quorum timeout, as without checkpoints
  }
}
