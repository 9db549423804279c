package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code starling demo} without its data, and what needs no data (hermetic: runs in the default build). */
class DemoUsageCliTest {
  @TempDir
  Path tmp;

  @Test
  void missingDataSet_exitsTwoNamingTheSetTheDirectoriesAndTheFlag() {
    assumeTrue(System.getenv("STARLING_DATA") == null, "STARLING_DATA is set: the set could be found there");
    for (String[] demo : new String[][] {{"hospitals", "heart-disease-by-hospital"}, {"air-quality", "beijing-air-quality"},
        {"keyboard", "tiny-shakespeare"}, {"income", "adult-income"}}) {
      CliRun r = CliRun.of("demo", demo[0], "--data-dir", tmp.toString(), "--out", tmp.resolve("out").toString());
      assertThat(r.code()).as(demo[0]).isEqualTo(2);
      assertThat(r.err()).contains("demo " + demo[0] + " needs the data set '" + demo[1] + "'")
          .contains("[" + tmp + "]").contains("--data-dir DIR").contains("STARLING_DATA").contains("Get it from http");
      assertThat(r.out()).doesNotContain("run  ");
    }
  }

  @Test
  void unknownDemoOrBadRounds_exitTwoBeforeAnyRun() {
    CliRun r = CliRun.of("demo", "weather");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("unknown demo 'weather'; one of hospitals, credit, air-quality, keyboard, income");
    CliRun z = CliRun.of("demo", "credit", "--rounds", "0", "--out", tmp.toString());
    assertThat(z.code()).isEqualTo(2);
    assertThat(z.err()).contains("--rounds must be > 0");
  }

  @Test
  void charRnnText_becomesOneRowPerSpeechWithHeadingsWithoutTextDropped() {
    String text = "First Citizen:\nBefore we proceed,\nhear me speak.\n\nAll:\nSpeak, speak.\n\nTITUS:\n\nMENENIUS:\nWhy\tso?\n";
    String tsv = new String(DemoData.speechesTsv(text), StandardCharsets.UTF_8);
    assertThat(tsv.split("\n")).containsExactly("turn\tspeaker\ttext", "0\tFirst Citizen\tBefore we proceed,\\nhear me speak.",
        "1\tAll\tSpeak, speak.", "2\tMENENIUS\tWhy\\tso?");
  }
}
