package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The measurement commands run end to end on tiny sizes and print their contract lines. */
class BenchCliTest {
  private record Run(int code, String out, String err) {
    String lastLine() {
      String[] lines = out.strip().split("\\R");
      return lines[lines.length - 1];
    }
  }

  private static Run run(String... args) {
    PrintStream oldOut = System.out;
    PrintStream oldErr = System.err;
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    try {
      System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
      System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
      int code = Main.execute(args);
      return new Run(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    } finally {
      System.setOut(oldOut);
      System.setErr(oldErr);
    }
  }

  @Test
  void aggregate_everyRule_printsTableThenSummaryLine() {
    for (String rule : new String[] {"fedavg", "median", "trimmed:0.1", "krum:1", "multikrum:1,3"}) {
      Run r = run("bench", "aggregate", "--rule", rule, "--clients", "10", "--params", "3001", "--repeat", "3", "--warmup", "1");
      assertThat(r.code()).as(r.err()).isZero();
      assertThat(r.out()).contains("repeat  3|").contains("warm-up 1|");
      Matcher m = Pattern.compile("rule=(\\S+) clients=10 params=3001 seconds=([0-9.]+) gbps=([0-9.]+)").matcher(r.lastLine());
      assertThat(m.matches()).as(r.lastLine()).isTrue();
      assertThat(m.group(1)).isEqualTo(rule);
      assertThat(Double.parseDouble(m.group(2))).isPositive();
      assertThat(Double.parseDouble(m.group(3))).isPositive();
    }
  }

  @Test
  void aggregate_unknownRule_failsNamingTheValidForms() {
    Run r = run("bench", "aggregate", "--rule", "mean", "--clients", "3", "--params", "10");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("mean").contains("median | trimmed:BETA");
  }

  @Test
  void scale_smallRun_reportsBytesPerClientAndSecondsPerRound() {
    Run r = run("bench", "scale", "--registered", "3000", "--per-round", "60", "--rounds", "2", "--threads", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("3,000 registered clients").contains("60/60");
    assertThat(r.lastLine()).matches("registered=3000 per_round=60 bytes_per_idle_client=-?[0-9.]+ seconds_per_round=[0-9.]+");
  }

  @Test
  void scale_perRoundAboveRegistered_isRejected() {
    Run r = run("bench", "scale", "--registered", "10", "--per-round", "20");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("--per-round").contains("per-round=20");
  }
}
