package dev.starling.strategy.aggregate;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

/** The buffered, fused WeightedSum against folding one update at a time in plain loops. */
class WeightedSumTest {
  private static ParameterSet random(SplittableRandom r) {
    float[] w = new float[300 * 7];
    float[] b = new float[7];
    for (int j = 0; j < w.length; j++) {
      w[j] = (float) r.nextGaussian();
    }
    for (int j = 0; j < b.length; j++) {
      b[j] = (float) r.nextGaussian();
    }
    return ParameterSet.of(List.of(Tensor.of("w", w, 300, 7), Tensor.of("b", b, 7)));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 2, 3, 4, 5, 8})
  void meanEqualsSequentialFoldBitForBit(int fused) {
    SplittableRandom r = new SplittableRandom(fused);
    ParameterSet template = random(r);
    WeightedSum sum = new WeightedSum(template, fused);
    float[][] ref = {new float[300 * 7], new float[7]};
    double total = 0;
    for (int k = 0; k < 13; k++) {
      ParameterSet p = random(r);
      double weight = 1 + r.nextInt(50);
      sum.add(p, weight);
      total += weight;
      for (int t = 0; t < 2; t++) {
        float[] x = p.tensors().get(t).data();
        for (int j = 0; j < x.length; j++) {
          ref[t][j] += (float) weight * x[j];
        }
      }
    }
    assertThat(sum.count()).isEqualTo(13);
    assertThat(sum.totalWeight()).isEqualTo(total);
    assertThat(sum.scale()).as("normal inputs never leave the unscaled fast path").isEqualTo(1.0);
    ParameterSet mean = sum.mean();
    float inv = (float) (1.0 / total);
    for (int t = 0; t < 2; t++) {
      float[] got = mean.tensors().get(t).data();
      for (int j = 0; j < got.length; j++) {
        assertThat(Float.floatToRawIntBits(got[j])).as("tensor %d coordinate %d", t, j)
            .isEqualTo(Float.floatToRawIntBits(ref[t][j] * inv));
      }
    }
    assertThat(mean.get("w").shape()).containsExactly(300, 7);
  }

  @Test
  void meanConsumesTheSum() {
    SplittableRandom r = new SplittableRandom(3);
    WeightedSum sum = new WeightedSum(random(r));
    sum.add(random(r), 2);
    sum.mean();
    assertThatThrownBy(sum::mean).hasMessageContaining("already taken");
    assertThatThrownBy(() -> sum.add(random(r), 1)).hasMessageContaining("add() after mean()");
  }

  @Test
  void rejectsAFusionWidthOutOfRange() {
    assertThatThrownBy(() -> new WeightedSum(random(new SplittableRandom(1)), 9)).hasMessageContaining("fused");
  }

  @Test
  void fusedFor_keepsPendingReferencesWithinBudget() {
    assertThat(WeightedSum.fusedFor(4_000_000)).isEqualTo(4); // 1M params: 12 MB pending
    assertThat(WeightedSum.fusedFor(40_000_000)).isEqualTo(4); // 10M params: 120 MB pending
    assertThat(WeightedSum.fusedFor(100_000_000)).isEqualTo(3); // 25M params: 200 MB pending
    assertThat(WeightedSum.fusedFor(512L << 20)).isEqualTo(1); // 128M params: folded at once
  }

  private static ParameterSet filled(float v, int n) {
    float[] d = new float[n];
    java.util.Arrays.fill(d, v);
    return ParameterSet.of(List.of(Tensor.of("w", d, n)));
  }

  @ParameterizedTest
  @ValueSource(ints = {1, 4})
  void add_hugeFiniteValues_meanIsFiniteWeightedMean(int fused) {
    // 3e38 + 3e38 overflows float32: a plain float sum would be +Inf
    WeightedSum sum = new WeightedSum(filled(0, 5), fused);
    sum.add(filled(3e38f, 5), 1);
    sum.add(filled(3e38f, 5), 1);
    sum.add(filled(-1e38f, 5), 2);
    float[] mean = sum.mean().get("w").data();
    for (float v : mean) {
      assertThat(v).isCloseTo(1e38f, org.assertj.core.data.Percentage.withPercentage(1e-4));
    }
  }

  @Test
  void add_hugeWeightOnHugeValues_staysFiniteAndKeepsSmallUpdatesWeight() {
    // a client claiming 2^31 - 1 examples with 3e38 values: w * x = 6e47, far beyond float32
    WeightedSum sum = new WeightedSum(filled(0, 3));
    sum.add(filled(1f, 3), 1);
    sum.add(filled(3e38f, 3), Integer.MAX_VALUE);
    sum.add(filled(2f, 3), Integer.MAX_VALUE);
    assertThat(sum.scale()).isGreaterThan(1.0);
    float[] mean = sum.mean().get("w").data();
    double expected = (1.0 + 3e38 * Integer.MAX_VALUE + 2.0 * Integer.MAX_VALUE) / (1.0 + 2.0 * Integer.MAX_VALUE);
    for (float v : mean) {
      assertThat((double) v).isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(1e-4));
    }
  }

  @Test
  void add_rescaleAfterNormalUpdates_keepsTheirContribution() {
    // the huge update arrives last: what was folded before is rescaled, not lost
    WeightedSum sum = new WeightedSum(filled(0, 2), 1);
    sum.add(filled(1e30f, 2), 1000);
    sum.add(filled(3e38f, 2), 1);
    double expected = (1e30 * 1000 + 3e38) / 1001;
    for (float v : sum.mean().get("w").data()) {
      assertThat((double) v).isCloseTo(expected, org.assertj.core.data.Percentage.withPercentage(1e-4));
    }
  }

  @Test
  void add_nonFiniteUpdateOrHugeWeight_refused() {
    WeightedSum sum = new WeightedSum(filled(0, 2));
    assertThatThrownBy(() -> sum.add(filled(Float.POSITIVE_INFINITY, 2), 1)).hasMessageContaining("finite");
    assertThatThrownBy(() -> sum.add(filled(1f, 2), 0x1p54)).hasMessageContaining("weight");
    assertThat(sum.count()).isZero();
  }
}
