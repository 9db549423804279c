package dev.starling.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.compression.internal.Varints;
import dev.starling.compression.sparsify.RandomK;
import dev.starling.compression.sparsify.TopK;
import dev.starling.core.random.RandomSource;
import java.nio.ByteBuffer;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class CodecsTest {
  @Test
  void parse_stagesAndErrors() {
    assertThat(Codecs.parse("topk:0.01+int8+zstd").describe()).isEqualTo("topk:0.01+int8+zstd");
    assertThat(Codecs.parse("none").lossless()).isTrue();
    assertThat(Codecs.parse("zstd").describe()).isEqualTo("fp32+zstd");
    assertThat(Codecs.parse("fp16").lossless()).isFalse();
    assertThatThrownBy(() -> Codecs.parse("int8+topk:0.1")).hasMessageContaining("out of order");
    assertThatThrownBy(() -> Codecs.parse("int3")).hasMessageContaining("'int3'").hasMessageContaining("forms");
    assertThatThrownBy(() -> Codecs.parse("topk")).hasMessageContaining("needs a fraction");
    assertThatThrownBy(() -> Codecs.parse("topk:2")).hasMessageContaining("fraction");
    assertThatThrownBy(() -> Codecs.parse("zstd:99")).hasMessageContaining("zstd level");
  }

  @Test
  void topK_keepsLargestMagnitudesAndBreaksTiesByPosition() {
    float[] x = {0.1f, -5f, 3f, 3f, -3f, 0f, 2f, 4f};
    assertThat(new TopK(0.5).select(x, RandomSource.seeded(1))).containsExactly(1, 2, 3, 7);
    assertThat(new TopK(0.375).select(x, RandomSource.seeded(1))).containsExactly(1, 2, 7);
    assertThat(new TopK(1).select(x, RandomSource.seeded(1))).hasSize(8);
    assertThat(new TopK(0.01).count(300)).isEqualTo(3);
  }

  @Test
  void topK_matchesSortingOnRandomInputs() {
    RandomSource rng = RandomSource.seeded(11);
    for (int trial = 0; trial < 50; trial++) {
      int n = 1 + rng.nextInt(2000);
      float[] x = new float[n];
      for (int i = 0; i < n; i++) {
        x[i] = rng.nextInt(4) == 0 ? (float) rng.nextInt(5) : (float) rng.nextGaussian(); // many ties
      }
      TopK top = new TopK(0.01 + rng.nextDouble() * 0.5);
      int[] got = top.select(x, rng);
      // reference: sort indices by (-|x|, index), take k, sort by index
      Integer[] idx = new Integer[n];
      for (int i = 0; i < n; i++) {
        idx[i] = i;
      }
      java.util.Arrays.sort(idx, (a, b) -> {
        int c = Float.compare(Math.abs(x[b]), Math.abs(x[a]));
        return c != 0 ? c : Integer.compare(a, b);
      });
      int[] want = java.util.Arrays.stream(idx, 0, top.count(n)).mapToInt(Integer::intValue).sorted().toArray();
      assertThat(got).as("trial %d", trial).containsExactly(want);
    }
  }

  @Test
  void randomK_choosesUniformlyWithoutReplacement() {
    RandomK r = new RandomK(0.1);
    int[] hits = new int[100];
    RandomSource rng = RandomSource.seeded(2);
    for (int t = 0; t < 10_000; t++) {
      int[] pos = r.select(new float[100], rng);
      assertThat(pos).hasSize(10).isSorted().doesNotHaveDuplicates();
      for (int p : pos) {
        hits[p]++;
      }
    }
    for (int h : hits) {
      assertThat(h).isBetween(850, 1150); // expected 1000, sd ~30
    }
  }

  @Test
  void int8_stochasticRounding_isUnbiased() {
    Codec int8 = Codecs.parse("int8");
    float[] x = new float[256];
    for (int i = 0; i < x.length; i++) {
      x[i] = i / 255f * 2 - 1 + 0.0013f * (i % 7); // values between the levels
    }
    double[] mean = new double[x.length];
    RandomSource rng = RandomSource.seeded(8);
    int trials = 4000;
    for (int t = 0; t < trials; t++) {
      float[] y = int8.decode(int8.encode(x, rng));
      for (int i = 0; i < x.length; i++) {
        mean[i] += y[i] / (double) trials;
      }
    }
    double step = (x[255] - x[0]) / 255.0;
    for (int i = 0; i < x.length; i++) {
      // the mean of 4000 draws of a two-point variable with spread step: sd <= step/2/sqrt(4000)
      assertThat(mean[i]).as("value %d", i).isCloseTo(x[i], Offset.offset(5 * step / 2 / Math.sqrt(trials) + 1e-6));
    }
  }

  @Test
  void varints_roundTripAndSizes() {
    ByteBuffer b = ByteBuffer.allocate(64);
    long[] values = {0, 1, 127, 128, 16_383, 16_384, Integer.MAX_VALUE, Long.MAX_VALUE};
    int total = 0;
    for (long v : values) {
      Varints.write(b, v);
      total += Varints.size(v);
    }
    assertThat(b.position()).isEqualTo(total);
    assertThat(Varints.size(127)).isEqualTo(1);
    assertThat(Varints.size(128)).isEqualTo(2);
    b.flip();
    for (long v : values) {
      assertThat(Varints.read(b)).isEqualTo(v);
    }
  }

  @Test
  void decode_positionsOutOfRange_refused() {
    Codec c = Codecs.parse("topk:0.5");
    byte[] bytes = c.encode(new float[] {1, 2, 3, 4}, RandomSource.seeded(1));
    // layout: flags, n=4, layout=1, k=2, positions gaps 2,1 -> make the second gap jump past n
    bytes[5] = 9;
    assertThatThrownBy(() -> c.decode(bytes)).hasMessageContaining("not below n = 4");
  }

  @Test
  void fp16_saturatesInsteadOfInfinity() {
    Codec c = Codecs.parse("fp16");
    float[] y = c.decode(c.encode(new float[] {1e6f, -1e6f, Float.NaN}, RandomSource.seeded(1)));
    assertThat(y[0]).isEqualTo(65504f);
    assertThat(y[1]).isEqualTo(-65504f);
    assertThat(y[2]).isNaN();
  }
}
