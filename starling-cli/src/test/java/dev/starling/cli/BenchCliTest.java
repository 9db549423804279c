package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The measurement commands run end to end on tiny sizes and print their contract lines. */
class BenchCliTest {
  @Test
  void aggregate_everyRule_printsTableThenSummaryLine() {
    for (String rule : new String[] {"fedavg", "median", "trimmed:0.1", "krum:1", "multikrum:1,3"}) {
      CliRun r = CliRun.of("bench", "aggregate", "--rule", rule, "--clients", "10", "--params", "3001", "--repeat", "3", "--warmup", "1");
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
    CliRun r = CliRun.of("bench", "aggregate", "--rule", "mean", "--clients", "3", "--params", "10");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("mean").contains("median | trimmed:BETA");
  }

  @Test
  void scale_smallRun_reportsBytesPerClientAndSecondsPerRound() {
    CliRun r = CliRun.of("bench", "scale", "--registered", "3000", "--per-round", "60", "--rounds", "2", "--threads", "2");
    assertThat(r.code()).as(r.err()).isZero();
    assertThat(r.out()).contains("3,000 registered clients").contains("60/60");
    assertThat(r.lastLine()).matches("registered=3000 per_round=60 bytes_per_idle_client=-?[0-9.]+ seconds_per_round=[0-9.]+");
  }

  @Test
  void scale_perRoundAboveRegistered_isRejected() {
    CliRun r = CliRun.of("bench", "scale", "--registered", "10", "--per-round", "20");
    assertThat(r.code()).isNotZero();
    assertThat(r.err()).contains("--per-round").contains("per-round=20");
  }
}
