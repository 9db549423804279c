package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.random.RandomSource;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SplitsTest {
  /** 100 rows: 70 of class 0, 25 of class 1, 5 of class 2; feature = row index. */
  private static Dataset data() {
    int n = 100;
    float[] x = new float[n];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      x[i] = i;
      y[i] = i < 70 ? 0 : i < 95 ? 1 : 2;
    }
    return Dataset.builder().name("d").features(x).labels(y).numFeatures(1).numClasses(3).build();
  }

  @Test
  void stratifiedHoldout_roundsPerClassAndKeepsProportions() {
    Split s = Splits.stratifiedHoldout(data(), 0.2, RandomSource.seeded(1));

    assertThat(s.test().classCounts()).containsExactly(14, 5, 1);
    assertThat(s.train().classCounts()).containsExactly(56, 20, 4);
  }

  @Test
  void stratifiedHoldout_partitionsRowsWithoutOverlap() {
    Split s = Splits.stratifiedHoldout(data(), 0.3, RandomSource.seeded(2));

    float[] all = new float[100];
    System.arraycopy(s.train().features(), 0, all, 0, s.train().size());
    System.arraycopy(s.test().features(), 0, all, s.train().size(), s.test().size());
    Arrays.sort(all);
    for (int i = 0; i < 100; i++) {
      assertThat(all[i]).isEqualTo(i);
    }
    for (int r = 0; r < s.test().size(); r++) {
      int original = (int) s.test().feature(r, 0);
      assertThat(s.test().label(r)).isEqualTo(data().label(original));
    }
  }

  @Test
  void stratifiedHoldout_sameSeed_sameSplit_otherSeed_otherSplit() {
    Split a = Splits.stratifiedHoldout(data(), 0.2, RandomSource.seeded(7));
    Split b = Splits.stratifiedHoldout(data(), 0.2, RandomSource.seeded(7));
    Split c = Splits.stratifiedHoldout(data(), 0.2, RandomSource.seeded(8));

    assertThat(b.test().features()).containsExactly(a.test().features());
    assertThat(b.train().features()).containsExactly(a.train().features());
    assertThat(c.test().features()).isNotEqualTo(a.test().features());
  }

  @Test
  void stratifiedHoldout_shufflesRowOrder() {
    Split s = Splits.stratifiedHoldout(data(), 0.2, RandomSource.seeded(3));

    float[] train = s.train().features().clone();
    float[] sorted = train.clone();
    Arrays.sort(sorted);
    assertThat(train).isNotEqualTo(sorted);
  }

  @Test
  void stratifiedHoldout_fractionOutOfRange_rejected() {
    assertThatThrownBy(() -> Splits.stratifiedHoldout(data(), 1.0, RandomSource.seeded(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("testFraction");
  }
}
