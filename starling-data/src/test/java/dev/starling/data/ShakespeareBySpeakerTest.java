package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.Task;
import java.io.ByteArrayInputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ShakespeareBySpeakerTest {
  // ANNA speaks twice (joined by a newline); BOB's text holds an escaped tab and backslash
  private static final String TSV = "turn\tspeaker\ttext\n"
      + "0\tANNA\tabcab\n"
      + "1\tBOB\tx\\ty\\\\z\n"
      + "2\tANNA\tca\n";

  @Test
  void load_makesOneKeyPerSpeaker_tokenIdWindows_andSplitsEachSpeakerByTextOrder(@TempDir Path dir) throws Exception {
    Path file = dir.resolve(ShakespeareBySpeaker.FILE);
    try (OutputStream out = new GZIPOutputStream(Files.newOutputStream(file))) {
      out.write(TSV.getBytes(StandardCharsets.UTF_8));
    }
    LoadedData d = ShakespeareBySpeaker.load(file, new ShakespeareBySpeaker.Options(2, 1, 0, 0, 0.25));
    Dataset train = d.train();
    // vocabulary: \t \n \\ a b c x y z in code-point order
    assertThat(train.classNames()).containsExactly("\\t", "\\n", "\\", "a", "b", "c", "x", "y", "z");
    assertThat(train.task()).isEqualTo(Task.NEXT_TOKEN);
    assertThat(train.numFeatures()).isEqualTo(2);
    assertThat(train.featureNames()).containsExactly("t-2", "t-1");
    // ANNA: "abcab\nca" = 8 chars -> 6 rows, 2 (rounded 1.5) held out; BOB: "x\ty\\z" = 5 chars -> 3 rows, 1 held out
    assertThat(train.size()).isEqualTo(4 + 2);
    assertThat(d.test().size()).isEqualTo(2 + 1);
    assertThat(train.keyName()).contains("speaker");
    assertThat(train.keys().orElseThrow()).containsExactly("ANNA", "ANNA", "ANNA", "ANNA", "BOB", "BOB");
    // first ANNA row: "ab" -> 'c'; second: "bc" -> 'a'
    assertThat(Arrays.copyOf(train.features(), 4)).containsExactly(3f, 4f, 4f, 5f);
    assertThat(train.label(0)).isEqualTo(5);
    assertThat(train.label(1)).isEqualTo(3);
    // BOB's first row: "x\t" -> 'y'
    assertThat(train.feature(4, 0)).isEqualTo(6f);
    assertThat(train.feature(4, 1)).isEqualTo(0f);
    assertThat(train.label(4)).isEqualTo(7);
    // ANNA's held-out rows are her last: "\nc" -> 'a' is the very last
    assertThat(d.test().keys().orElseThrow()).containsExactly("ANNA", "ANNA", "BOB");
    assertThat(d.test().label(1)).isEqualTo(3);
  }

  @Test
  void load_keepsTheLargestSpeakers_andDropsSmallOnes() throws Exception {
    LoadedData d = ShakespeareBySpeaker.load(stream(TSV), "t.tsv", new ShakespeareBySpeaker.Options(2, 4, 0, 0, 0));
    assertThat(d.train().keys().orElseThrow()).containsOnly("ANNA"); // BOB has 3 rows < 4
    LoadedData top = ShakespeareBySpeaker.load(stream(TSV), "t.tsv", new ShakespeareBySpeaker.Options(2, 1, 1, 0, 0));
    assertThat(top.train().keys().orElseThrow()).containsOnly("ANNA");
    LoadedData capped = ShakespeareBySpeaker.load(stream(TSV), "t.tsv", new ShakespeareBySpeaker.Options(2, 1, 0, 4, 0));
    assertThat(capped.train().size()).isEqualTo(2 + 2);
  }

  @Test
  void load_namesTheLineOfAMalformedRow() {
    assertThatThrownBy(() -> ShakespeareBySpeaker.load(stream("turn\tspeaker\ttext\n0\tANNA\tab\n1\tBOB\n"), "s.tsv",
        ShakespeareBySpeaker.Options.leaf())).isInstanceOf(DataFormatException.class)
        .hasMessageContaining("s.tsv, line 3").hasMessageContaining("3 tab-separated fields");
    assertThatThrownBy(() -> ShakespeareBySpeaker.load(stream("turn\tspeaker\ttext\n0\tANNA\ta\\qb\n"), "s.tsv",
        ShakespeareBySpeaker.Options.leaf())).isInstanceOf(DataFormatException.class)
        .hasMessageContaining("line 2").hasMessageContaining("\\q");
    assertThatThrownBy(() -> ShakespeareBySpeaker.load(stream("speaker,text\n"), "s.tsv",
        ShakespeareBySpeaker.Options.leaf())).isInstanceOf(DataFormatException.class).hasMessageContaining("header");
    assertThatThrownBy(() -> ShakespeareBySpeaker.load(stream(TSV), "s.tsv", ShakespeareBySpeaker.Options.leaf()))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("no speaker has at least 64 rows");
  }

  private static ByteArrayInputStream stream(String s) {
    return new ByteArrayInputStream(s.getBytes(StandardCharsets.UTF_8));
  }
}
