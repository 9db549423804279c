package dev.starling.strategy.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The fused, parallel fold against the one-update-at-a-time reference: bit-identical by construction. */
class WeightedFoldTest {
  @ParameterizedTest
  @CsvSource({"1, 1", "3, 17", "8, 65536", "13, 200003", "100, 5000"})
  void fusedFoldEqualsReferenceBitForBit(int count, int d) {
    SplittableRandom r = new SplittableRandom(count * 1000L + d);
    float[][] xs = new float[count][d];
    float[] w = new float[count];
    for (int k = 0; k < count; k++) {
      w[k] = (float) r.nextDouble(0, 600);
      for (int j = 0; j < d; j++) {
        xs[k][j] = (float) (r.nextGaussian() * Math.pow(10, r.nextInt(-5, 3)));
      }
    }
    float[] want = new float[d];
    WeightedFold.reference(want, xs, w, count);
    float[] got = new float[d];
    for (int k = 0; k < count; k += WeightedFold.MAX_FUSED) {
      int c = Math.min(WeightedFold.MAX_FUSED, count - k);
      WeightedFold.fold(got, java.util.Arrays.copyOfRange(xs, k, k + c), java.util.Arrays.copyOfRange(w, k, k + c), c);
    }
    OrderStatisticsTest.assertBitEqual(got, want);
    float[] scaled = new float[d];
    WeightedFold.scale(got, 0.125f, scaled);
    assertThat(scaled[d - 1]).isEqualTo(got[d - 1] * 0.125f);
  }
}
