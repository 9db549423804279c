package dev.starling.core.io;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Coverage-guided fuzzing of the model file reader (Jazzer). A normal build runs this in regression mode:
 * every input under {@code src/test/resources/dev/starling/core/io/ModelArchiveFuzzTestInputs/readFrom/}
 * (seeds and every crashing input found so far) once. {@code ./mvnw -Pfuzz -pl starling-core verify}
 * fuzzes it for a bounded time. The property: any byte string is either a model (which then writes back
 * to the same bytes) or an {@link IOException} naming the source; nothing else (no runtime exception, no
 * allocation the input does not pay for).
 */
class ModelArchiveFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void readFrom(byte[] input) throws IOException {
    ModelArchive archive;
    try {
      archive = ModelArchive.readFrom(new ByteArrayInputStream(input), "fuzz.model");
    } catch (IOException e) {
      assertThat(e.getMessage()).startsWith("fuzz.model: ");
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    archive.writeTo(out);
    ModelArchive again = ModelArchive.readFrom(new ByteArrayInputStream(out.toByteArray()), "rewritten");
    assertThat(again.metadata()).isEqualTo(archive.metadata());
    assertThat(again.parameters().names()).isEqualTo(archive.parameters().names());
  }
}
