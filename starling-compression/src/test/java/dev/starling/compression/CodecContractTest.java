package dev.starling.compression;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.compression.quantize.LinearQuantizer;
import dev.starling.compression.quantize.SignValues;
import dev.starling.core.random.RandomSource;
import java.util.Arrays;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The contract every codec chain passes: round trip within the chain's stated error bound, the encoded
 * size the format promises, determinism for a seed, and clear errors for damaged input.
 */
class CodecContractTest {
  static Stream<String> specs() {
    return Stream.of("none", "fp16", "bf16", "int8", "int4", "sign", "zstd", "fp16+zstd", "int8+zstd", "topk:0.01",
        "topk:0.1+fp16", "topk:0.01+int8+zstd", "randk:0.05", "randk:0.2+int4", "topk:0.5+sign+zstd:9");
  }

  /** Gaussian-ish values with a few large outliers and exact zeros, like a real update. */
  static float[] update(int n, long seed) {
    RandomSource rng = RandomSource.seeded(seed);
    float[] x = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = (float) (0.01 * rng.nextGaussian());
    }
    x[n / 3] = 3.5f;
    x[n / 2] = -2.25f;
    x[n - 1] = 0f;
    return x;
  }

  /** The bound |x' - x| each value format promises for x (its block's lo/step or mean |x| given). */
  private static double bound(CodecChain c, float[] x, int i, float[] kept, int j) {
    return switch (c.values().describe()) {
      case "fp32" -> 0;
      case "fp16" -> Math.max(Math.abs(x[i]) * Math.pow(2, -11), Math.pow(2, -25));
      case "bf16" -> Math.abs(x[i]) * Math.pow(2, -8) + Float.MIN_NORMAL;
      case "int8", "int4" -> {
        int bits = ((LinearQuantizer) c.values()).bits();
        int from = j / LinearQuantizer.BLOCK * LinearQuantizer.BLOCK;
        int to = Math.min(kept.length, from + LinearQuantizer.BLOCK);
        float lo = Float.POSITIVE_INFINITY;
        float hi = Float.NEGATIVE_INFINITY;
        for (int t = from; t < to; t++) {
          lo = Math.min(lo, kept[t]);
          hi = Math.max(hi, kept[t]);
        }
        double step = ((double) hi - lo) / ((1 << bits) - 1);
        yield step * (1 + 1e-5) + 1e-6 * Math.max(Math.abs(lo), Math.abs(hi));
      }
      case "sign" -> {
        int from = j / SignValues.BLOCK * SignValues.BLOCK;
        int to = Math.min(kept.length, from + SignValues.BLOCK);
        double m = 0;
        for (int t = from; t < to; t++) {
          m += Math.abs(kept[t]);
        }
        yield Math.abs(x[i]) + m / (to - from) + 1e-6;
      }
      default -> throw new AssertionError(c.values().describe());
    };
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void roundTrip_withinStatedBound(String spec) {
    CodecChain c = Codecs.parse(spec);
    float[] x = update(10_007, 1);
    byte[] bytes = c.encode(x, RandomSource.seeded(3));
    float[] y = c.decode(bytes);
    assertThat(y).hasSize(x.length);
    int[] pos = c.sparsifier() == null ? null : c.sparsifier().select(x, RandomSource.seeded(3));
    float[] kept = x;
    if (pos != null) {
      kept = new float[pos.length];
      for (int j = 0; j < pos.length; j++) {
        kept[j] = x[pos[j]];
      }
    }
    boolean[] isKept = new boolean[x.length];
    int[] slot = new int[x.length];
    if (pos == null) {
      Arrays.fill(isKept, true);
      for (int i = 0; i < x.length; i++) {
        slot[i] = i;
      }
    } else {
      for (int j = 0; j < pos.length; j++) {
        isKept[pos[j]] = true;
        slot[pos[j]] = j;
      }
    }
    for (int i = 0; i < x.length; i++) {
      if (isKept[i]) {
        assertThat((double) Math.abs(y[i] - x[i])).as("%s value %d (%s -> %s)", spec, i, x[i], y[i])
            .isLessThanOrEqualTo(bound(c, x, i, kept, slot[i]));
      } else {
        assertThat(y[i]).as("%s dropped value %d", spec, i).isZero();
      }
    }
    if (c.lossless()) {
      assertThat(y).containsExactly(x);
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void size_matchesTheFormat(String spec) {
    CodecChain c = Codecs.parse(spec);
    float[] x = update(10_007, 2);
    byte[] bytes = c.encode(x, RandomSource.seeded(4));
    if (spec.contains("zstd")) {
      // entropy coding: never larger than the plain chain by more than zstd's frame overhead
      CodecChain plain = Codecs.parse(spec.replaceAll("\\+zstd(:\\d+)?", ""));
      assertThat(bytes.length).isLessThanOrEqualTo(plain.encode(x, RandomSource.seeded(4)).length + 32);
      return;
    }
    int m = c.sparsifier() == null ? x.length : c.sparsifier().count(x.length);
    long valueBytes = c.values().encodedSize(m);
    long header = 1 + 2 + 1; // flags, varint 10007 (2 bytes), layout
    if (c.sparsifier() == null) {
      assertThat((long) bytes.length).isEqualTo(header + valueBytes);
    } else {
      // positions cost at least one and at most 3 bytes each here (gaps < 2^21)
      assertThat((long) bytes.length).isBetween(header + 1 + m + valueBytes, header + 2 + 3L * m + valueBytes);
    }
    double ratio = (double) bytes.length / (4.0 * x.length);
    switch (c.sparsifier() != null ? "sparse" : c.values().describe()) {
      case "fp16", "bf16" -> assertThat(ratio).isCloseTo(0.5, org.assertj.core.data.Offset.offset(0.01));
      case "int8" -> assertThat(ratio).isCloseTo(0.25 + 8.0 / 1024, org.assertj.core.data.Offset.offset(0.01));
      case "sign" -> assertThat(ratio).isLessThan(0.04);
      default -> { }
    }
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void encode_sameSeed_sameBytes(String spec) {
    CodecChain c = Codecs.parse(spec);
    float[] x = update(5_000, 5);
    assertThat(c.encode(x, RandomSource.seeded(9))).isEqualTo(c.encode(x.clone(), RandomSource.seeded(9)));
    assertThat(Codecs.parse(c.describe()).describe()).isEqualTo(c.describe());
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void decode_truncatedOrForeign_refusedWithReason(String spec) {
    CodecChain c = Codecs.parse(spec);
    byte[] bytes = c.encode(update(3_000, 6), RandomSource.seeded(1));
    assertThatThrownBy(() -> c.decode(Arrays.copyOf(bytes, bytes.length / 2)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageMatching("(?s).*(truncated|malformed|zstd).*");
    byte[] wrongVersion = bytes.clone();
    wrongVersion[0] = (byte) ((wrongVersion[0] & 0xF0) | 0x07);
    assertThatThrownBy(() -> c.decode(wrongVersion)).hasMessageContaining("version 7");
    assertThatThrownBy(() -> c.decode(new byte[0])).hasMessageContaining("empty");
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("specs")
  void roundTrip_emptyAndTinyVectors(String spec) {
    CodecChain c = Codecs.parse(spec);
    assertThat(c.decode(c.encode(new float[0], RandomSource.seeded(1)))).isEmpty();
    float[] one = {0.25f};
    float[] y = c.decode(c.encode(one, RandomSource.seeded(1)));
    assertThat(y).hasSize(1);
    assertThat(y[0]).isCloseTo(0.25f, org.assertj.core.data.Offset.offset(0.25f * 0.01f));
  }
}
