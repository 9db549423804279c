package dev.starling.transport.grpc.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import java.util.Arrays;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class CompactSubModelsTest {
  private static final String WHO = "update of client c7 (round 2)";

  @Test
  void roundTrip_putsEveryValueAtExactlyItsMarkedPosition_andLeavesTheOthersUntouched() {
    SplittableRandom rnd = new SplittableRandom(11);
    for (int n : new int[] {1, 7, 8, 9, 64, 1001}) {
      float[] values = new float[n];
      float[] mask = new float[n];
      float[] base = new float[n];
      for (int j = 0; j < n; j++) {
        values[j] = (float) rnd.nextGaussian();
        base[j] = -1000f - j;
        mask[j] = rnd.nextBoolean() ? 1f : 0f;
      }
      values[n - 1] = -0.0f; // the exact bits travel, the sign of zero included
      mask[n - 1] = 1f;
      int k = CompactSubModels.trained(mask);
      byte[] enc = CompactSubModels.encode(values, mask);
      assertThat(enc).hasSize((n + 7) / 8 + 4 * k);

      float[] into = base.clone();
      float[] back = CompactSubModels.decode(enc, k, into, WHO);
      assertThat(back).as("n=%d mask", n).isEqualTo(mask);
      for (int j = 0; j < n; j++) {
        int expected = Float.floatToRawIntBits(mask[j] == 1f ? values[j] : base[j]);
        assertThat(Float.floatToRawIntBits(into[j])).as("n=%d coordinate %d", n, j).isEqualTo(expected);
      }
    }
  }

  @Test
  void onlyMasksOfZerosAndOnes_areBinary_soOthersTravelInTheCheckedV14Form() {
    assertThat(CompactSubModels.binary(new float[] {0f, 1f, 1f, 0f})).isTrue();
    assertThat(CompactSubModels.binary(new float[] {0f, 0.5f, 1f})).isFalse();
    assertThat(CompactSubModels.binary(new float[] {-1f, 0f})).isFalse();
    assertThat(CompactSubModels.binary(new float[] {Float.NaN})).isFalse();
  }

  @Test
  void bitmap_isOneBitPerParameter_leastSignificantFirst() {
    float[] mask = {1, 0, 0, 1, 0, 0, 0, 0, 0, 1};
    float[] values = {2f, 0, 0, 3f, 0, 0, 0, 0, 0, 4f};
    byte[] enc = CompactSubModels.encode(values, mask);
    assertThat(Arrays.copyOf(enc, 2)).containsExactly(0b0000_1001, 0b0000_0010);
    assertThat(CompactSubModels.encodedBytes(10, 3)).isEqualTo(2 + 12);
  }

  @Test
  void malformedEncodings_areRefusedNamingTheSender() {
    float[] mask = {1, 0, 1, 0, 0};
    byte[] enc = CompactSubModels.encode(new float[] {1, 2, 3, 4, 5}, mask);
    // the bitmap marks two positions; announcing three (with matching length) must not pass
    byte[] longer = Arrays.copyOf(enc, enc.length + 4);
    assertThatThrownBy(() -> CompactSubModels.decode(longer, 3, new float[5], WHO)).isInstanceOf(FlException.class)
        .hasMessageContaining("client c7").hasMessageContaining("bitmap marks 2 positions")
        .hasMessageContaining("announces 3 trained values");
    // wrong length for the announced count
    assertThatThrownBy(() -> CompactSubModels.decode(Arrays.copyOf(enc, enc.length - 1), 2, new float[5], WHO))
        .isInstanceOf(FlException.class).hasMessageContaining("client c7").hasMessageContaining("expected 9");
    // more trained values than the model has
    assertThatThrownBy(() -> CompactSubModels.check(5, 6, CompactSubModels.encodedBytes(5, 6), WHO))
        .isInstanceOf(FlException.class).hasMessageContaining("6 trained values, but the model has 5");
    // a padding bit beyond the model's end
    byte[] padded = enc.clone();
    padded[0] = (byte) (padded[0] & ~0b100 | 0b1000_0000);
    assertThatThrownBy(() -> CompactSubModels.decode(padded, 2, new float[5], WHO)).isInstanceOf(FlException.class)
        .hasMessageContaining("beyond the model's 5 values");
    // a non-finite value
    byte[] nan = CompactSubModels.encode(new float[] {Float.NaN, 0, 3, 0, 0}, mask);
    float[] into = new float[5];
    assertThatThrownBy(() -> CompactSubModels.decode(nan, 2, into, WHO)).isInstanceOf(FlException.class)
        .hasMessageContaining("client c7").hasMessageContaining("non-finite value NaN at flat index 0");
  }
}
