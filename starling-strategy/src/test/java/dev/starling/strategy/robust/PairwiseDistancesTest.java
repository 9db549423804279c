package dev.starling.strategy.robust;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.random.RandomSource;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.Test;

class PairwiseDistancesTest {
  private static float[][] random(int n, int d, long seed, double offset) {
    RandomSource rng = RandomSource.seeded(seed);
    float[][] u = new float[n][d];
    for (float[] row : u) {
      for (int j = 0; j < d; j++) {
        row[j] = (float) (offset + rng.nextGaussian());
      }
    }
    return u;
  }

  private static double naive(float[] a, float[] b) {
    double s = 0;
    for (int j = 0; j < a.length; j++) {
      double d = (double) a[j] - b[j];
      s += d * d;
    }
    return s;
  }

  @ParameterizedTest(name = "n={0} d={1} centred={2}")
  @CsvSource({"7, 5003, false", "7, 5003, true", "40, 1001, true", "3, 5, false", "150, 333, true"})
  void squared_randomDataSeveralBlocks_matchesNaivePairwise(int n, int d, boolean centred) {
    float[][] u = random(n, d, 42 + n, 3.0);
    float[] center = centred ? random(1, d, 7, 3.0)[0] : null;
    double[][] got = PairwiseDistances.squared(u, center);
    for (int a = 0; a < n; a++) {
      assertThat(got[a][a]).isZero();
      for (int b = 0; b < n; b++) {
        if (a != b) {
          double want = naive(u[a], u[b]);
          assertThat(got[a][b]).as("d(%d,%d)", a, b).isCloseTo(want, within(1e-5 * want));
        }
      }
    }
  }

  @Test
  void squared_identicalLargeRows_exactlyZeroNeverNegative() {
    float[][] u = new float[4][];
    float[] row = random(1, 1000, 3, 1e4)[0];
    for (int i = 0; i < u.length; i++) {
      u[i] = row.clone();
    }
    double[][] got = PairwiseDistances.squared(u, null);
    for (double[] r : got) {
      for (double v : r) {
        assertThat(v).isGreaterThanOrEqualTo(0).isLessThan(1e-3);
      }
    }
  }
}
