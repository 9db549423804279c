package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** A demo's output directory in a test: runs a demo into it and reads the metrics files of its runs. */
final class DemoOutput {
  private static final ObjectMapper JSON = new ObjectMapper();

  private final Path dir;
  private final List<String> options;

  /** Demos write to {@code dir}; {@code options} go after the demo's name (e.g. {@code --data-dir DIR}). */
  DemoOutput(Path dir, String... options) {
    this.dir = dir;
    this.options = List.of(options);
  }

  /** Runs demo {@code name} for {@code rounds} on two threads; asserts it exits 0 and writes its report. */
  CliRun demo(String name, int rounds) {
    List<String> args = new ArrayList<>(List.of("demo", name));
    args.addAll(options);
    args.addAll(List.of("--rounds", Integer.toString(rounds), "--threads", "2", "--out", dir.toString()));
    CliRun r = CliRun.of(args.toArray(String[]::new));
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(dir.resolve("report.html")).isRegularFile();
    return r;
  }

  /** The last metrics line of run {@code run}. */
  JsonNode last(String run) throws Exception {
    List<String> lines = Files.readAllLines(dir.resolve(run + ".jsonl"));
    return JSON.readTree(lines.get(lines.size() - 1));
  }

  /** {@code field} summed over every metrics line of run {@code run} (absent: 0). */
  double sum(String run, String field) throws Exception {
    double s = 0;
    for (String l : Files.readAllLines(dir.resolve(run + ".jsonl"))) {
      s += JSON.readTree(l).path(field).asDouble(0);
    }
    return s;
  }
}
