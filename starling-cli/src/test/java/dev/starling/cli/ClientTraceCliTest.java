package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ClientTraceCliTest {
  private static final String HEADER = "client,speed,bandwidth,latency,availability\n";

  @TempDir
  Path dir;

  @Test
  void aBadTraceIsBadUsageNamingTheFileLineAndColumn_beforeAnyTraining() throws Exception {
    Path trace = Files.writeString(dir.resolve("trace.csv"), HEADER + "0,100,10,0.05,\n1,100,10,0.05,0-5;3-9\n");
    CliRun r = CliRun.of("simulate", "--clients", "2", "--rounds", "1", "--sync", "buffered:1", "--client-trace",
        trace.toString());
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains(trace + " line 3, column 'availability': window 2 '3-9' starts before window 1 ends");
    assertThat(r.out()).doesNotContain("round 1");
  }

  @Test
  void windowsWithSynchronousRounds_areRefused_andAnAsynchronousRunFollowsTheTrace() throws Exception {
    Path trace = Files.writeString(dir.resolve("trace.csv"), HEADER + "0,200,10,0.01,\n1,200,10,0.01,\n"
        + "2,50,10,0.01,\n3,200,10,0.01,30-1000\n");
    CliRun sync = CliRun.of("simulate", "--clients", "4", "--rounds", "2", "--client-trace", trace.toString());
    assertThat(sync.code()).isEqualTo(2);
    assertThat(sync.err()).contains("client-trace").contains("need an asynchronous mode");

    Path metrics = dir.resolve("m.jsonl");
    CliRun run = CliRun.of("simulate", "--clients", "4", "--rounds", "4", "--model", "logreg", "--sync", "buffered:2",
        "--concurrency", "2", "--client-trace", trace.toString(), "--metrics-out", metrics.toString());
    assertThat(run.code()).as(run.err()).isZero();
    List<String> lines = Files.readAllLines(metrics, StandardCharsets.UTF_8);
    assertThat(lines).hasSize(4).allMatch(l -> l.contains("\"sim_seconds\":"));
  }
}
