package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;

import com.code_intelligence.jazzer.junit.FuzzTest;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.privacy.secagg.SecAggMessages.Message;

/**
 * Coverage-guided fuzzing of the secure aggregation wire decoder (Jazzer). A normal build runs this in
 * regression mode: every input under {@code src/test/resources/dev/starling/privacy/secagg/SecAggWireFuzzTestInputs/decode/}
 * (seeds and every crashing input found so far) once. {@code ./mvnw -Pfuzz -pl starling-privacy -am verify}
 * fuzzes it for a bounded time. The property: any byte string decodes to a message that encodes back to a
 * byte string decoding to an equal encoding, or fails with INVALID_ARGUMENT; nothing else.
 */
class SecAggWireFuzzTest {
  @FuzzTest(maxDuration = "60s")
  void decode(byte[] input) {
    Message m;
    try {
      m = SecAggWire.decode(input);
    } catch (FlException e) {
      assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      return;
    }
    byte[] again = SecAggWire.encode(m);
    assertThat(SecAggWire.encode(SecAggWire.decode(again))).containsExactly(again);
  }
}
