package dev.starling.strategy.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The sorting-network kernels against the sort-every-column reference, bit for bit, on random inputs. */
class OrderStatisticsTest {
  /** Random rows; {@code ties} draws values from a handful so ties across the kept boundary are common. */
  static float[][] rows(long seed, int n, int d, boolean ties) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] out = new float[n][d];
    float[] pool = {-1.5f, -0.0f, 0.0f, 0.25f, 2f, Float.NEGATIVE_INFINITY};
    for (float[] row : out) {
      for (int j = 0; j < d; j++) {
        row[j] = ties ? pool[r.nextInt(ties && j % 3 == 0 ? pool.length : 3)] : (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-6, 4)));
      }
    }
    return out;
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 7, 10, 16, 31, 50, 64, 100})
  void medianEqualsReferenceExactly(int n) {
    for (boolean ties : new boolean[] {false, true}) {
      float[][] u = rows(n * 31L + (ties ? 1 : 0), n, 40_000 + n, ties);
      int[] kept = new int[n];
      int[] keptRef = new int[n];
      float[] got = OrderStatistics.median(Rows.of(u), kept);
      float[] want = OrderStatistics.reference(u, (n - 1) / 2, n / 2, true, keptRef);
      assertBitEqual(got, want);
      assertThat(kept).as("kept counts, n=%d ties=%s", n, ties).containsExactly(keptRef);
    }
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 3, 5, 10, 11, 20, 50, 100})
  void trimmedMeanEqualsReferenceExactly(int n) {
    for (int trim : new int[] {0, n / 10, (n - 1) / 2}) {
      for (boolean ties : new boolean[] {false, true}) {
        float[][] u = rows(n * 17L + trim + (ties ? 1 : 0), n, 20_000 + 3 * n, ties);
        int[] kept = new int[n];
        int[] keptRef = new int[n];
        float[] got = OrderStatistics.trimmedMean(Rows.of(u), trim, kept);
        float[] want = OrderStatistics.reference(u, trim, n - 1 - trim, false, keptRef);
        assertBitEqual(got, want);
        assertThat(kept).as("kept counts, n=%d trim=%d ties=%s", n, trim, ties).containsExactly(keptRef);
      }
    }
  }

  @Test
  void rowsSplitIntoPartsGiveTheSameResult() {
    int n = 9;
    float[][] u = rows(5, n, 10_007, false);
    List<float[][]> parts = new ArrayList<>();
    for (float[] row : u) {
      parts.add(new float[][] {java.util.Arrays.copyOfRange(row, 0, 3), java.util.Arrays.copyOfRange(row, 3, 5000),
          java.util.Arrays.copyOfRange(row, 5000, row.length)});
    }
    int[] k1 = new int[n];
    int[] k2 = new int[n];
    assertBitEqual(OrderStatistics.trimmedMean(Rows.ofParts(parts), 2, k1), OrderStatistics.trimmedMean(Rows.of(u), 2, k2));
    assertThat(k1).containsExactly(k2);
  }

  @Test
  void networkSortsEveryPermutationOfSmallInputs() {
    // 0-1 principle: a comparator network sorts all inputs iff it sorts all 0-1 inputs.
    for (int n = 1; n <= 12; n++) {
      int[] net = OrderStatistics.network(n, 0, n - 1);
      for (int bits = 0; bits < (1 << n); bits++) {
        int[] w = new int[n];
        for (int i = 0; i < n; i++) {
          w[i] = (bits >> i) & 1;
        }
        for (int c = 0; c < net.length; c += 2) {
          int a = w[net[c]];
          int b = w[net[c + 1]];
          w[net[c]] = Math.min(a, b);
          w[net[c + 1]] = Math.max(a, b);
        }
        for (int i = 1; i < n; i++) {
          assertThat(w[i - 1]).as("n=%d input=%s", n, Integer.toBinaryString(bits)).isLessThanOrEqualTo(w[i]);
        }
      }
    }
  }

  @Test
  void rejectsATrimThatLeavesNothing() {
    assertThatThrownBy(() -> OrderStatistics.trimmedMean(Rows.of(new float[4][3]), 2, new int[4]))
        .hasMessageContaining("trim must be in [0, n/2)").hasMessageContaining("2");
  }

  static void assertBitEqual(float[] got, float[] want) {
    assertThat(got).hasSameSizeAs(want);
    for (int j = 0; j < got.length; j++) {
      if (Float.floatToRawIntBits(got[j]) != Float.floatToRawIntBits(want[j])) {
        throw new AssertionError("coordinate " + j + ": got " + got[j] + ", reference " + want[j]);
      }
    }
  }
}
