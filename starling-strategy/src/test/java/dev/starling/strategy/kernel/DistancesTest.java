package dev.starling.strategy.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The blocked, parallel Gram kernel and the row mean against their readable references on random rows. */
class DistancesTest {
  static float[][] random(long seed, int n, int d, double offset) {
    SplittableRandom r = new SplittableRandom(seed);
    float[][] u = new float[n][d];
    for (float[] row : u) {
      for (int j = 0; j < d; j++) {
        row[j] = (float) (offset + r.nextGaussian());
      }
    }
    return u;
  }

  @ParameterizedTest(name = "n={0} d={1}")
  @CsvSource({"2, 1", "3, 7", "13, 8193", "50, 20000", "64, 40001"})
  void squaredMatchesDirectPairwiseSums(int n, int d) {
    float[][] u = random(n * 7L + d, n, d, 0.5);
    float[] center = random(3, 1, d, 0.5)[0];
    double[][] got = Distances.squared(Rows.of(u), center);
    double[][] want = Distances.reference(u);
    for (int a = 0; a < n; a++) {
      assertThat(got[a][a]).isZero();
      for (int b = 0; b < n; b++) {
        assertThat(got[a][b]).as("d(%d,%d)", a, b).isCloseTo(want[a][b], within(1e-9 * d + 1e-9 * want[a][b]));
        assertThat(got[a][b]).isEqualTo(got[b][a]);
      }
    }
  }

  @Test
  void squaredIsDeterministicAndIndependentOfHowRowsAreCut() {
    int n = 11;
    int d = 30_011;
    float[][] u = random(9, n, d, 2.0);
    List<float[][]> parts = new ArrayList<>();
    for (float[] row : u) {
      parts.add(new float[][] {Arrays.copyOfRange(row, 0, 12_345), Arrays.copyOfRange(row, 12_345, d)});
    }
    double[][] a = Distances.squared(Rows.of(u), null);
    double[][] b = Distances.squared(Rows.ofParts(parts), null);
    double[][] c = Distances.squared(Rows.of(u), null);
    for (int i = 0; i < n; i++) {
      assertThat(a[i]).containsExactly(b[i]).containsExactly(c[i]);
    }
  }

  @Test
  void rowMeanEqualsReferenceBitForBit() {
    float[][] u = random(4, 9, 50_003, 0.0);
    int[] which = {7, 2, 5, 0};
    OrderStatisticsTest.assertBitEqual(RowMeans.mean(Rows.of(u), which), RowMeans.reference(u, which));
  }
}
