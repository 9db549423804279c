package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;

/**
 * Coverage-guided fuzzing of the checkpoint reader (Jazzer). A normal build replays every input under
 * {@code src/test/resources/dev/starling/server/CheckpointStoreFuzzTestInputs/decode/} (seeds: the golden v2
 * and v3 checkpoints, plus every crashing input found so far). {@code ./mvnw -Pfuzz -pl starling-server -am
 * verify} fuzzes it for a bounded time. The property: any byte string is either a checkpoint (which then
 * writes back to bytes that read back to the same state) or FAILED_PRECONDITION naming the file; nothing
 * else (no runtime exception, no allocation the input does not pay for).
 */
class CheckpointStoreFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void decode(byte[] input) throws IOException {
    RunState s;
    try {
      s = CheckpointStore.decode(new ByteArrayInputStream(input), "fuzz.ckpt");
    } catch (FlException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION);
      assertThat(e.getMessage()).startsWith("checkpoint fuzz.ckpt: ");
      return;
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    CheckpointStore.encode(s, out);
    RunState again = CheckpointStore.decode(new ByteArrayInputStream(out.toByteArray()), "rewritten");
    assertThat(again.round()).isEqualTo(s.round());
    assertThat(again.clients()).isEqualTo(s.clients());
    assertThat(again.global().names()).isEqualTo(s.global().names());
    assertThat(again.history()).hasSameSizeAs(s.history());
  }
}
