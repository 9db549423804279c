package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A named data set that no search directory holds is bad usage (exit 2) naming where it was looked for. */
class MissingDatasetCliTest {
  @TempDir
  Path tmp;

  @Test
  void simulate_withADataSetMissingFromEveryDataDir_exitsTwoNamingTheFolderAndTheDirectories() {
    assumeTrue(System.getenv("STARLING_DATA") == null, "STARLING_DATA is set: the set could be found there");
    assumeTrue(!Files.isDirectory(Path.of("data")), "./data exists: the set could be found there");
    for (String[] set : new String[][] {{"shakespeare", "tiny-shakespeare/"}, {"beijing-air", "beijing-air-quality/"},
        {"mnist", "mnist-10k/"}}) {
      CliRun r = CliRun.of("simulate", "--dataset", set[0], "--data-dir", tmp.toString(), "--rounds", "1");
      assertThat(r.code()).as(set[0] + ": " + r.err()).isEqualTo(2);
      assertThat(r.err()).contains("dataset '" + set[0] + "' not found: looked for " + set[1]).contains("[" + tmp + "]")
          .contains("pass --data-dir DIR where DIR holds " + set[1]);
      assertThat(r.out()).doesNotContain("round ");
    }
  }

  @Test
  void simulate_withADataFileThatDoesNotExist_exitsTwoNamingIt() {
    Path missing = tmp.resolve("nope.csv");
    CliRun r = CliRun.of("simulate", "--dataset", missing.toString(), "--rounds", "1");
    assertThat(r.code()).as(r.err()).isEqualTo(2);
    assertThat(r.err()).contains(missing.toString());
  }
}
