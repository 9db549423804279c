package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class StandardizerTest {
  /** 4 rows, 3 features: a spread feature, a constant one, a large-offset one. */
  private static Dataset data() {
    float[] x = {
      1, 7, 1000,
      2, 7, 1002,
      3, 7, 1004,
      6, 7, 1010};
    return Dataset.builder().name("t").features(x).labels(new int[] {0, 1, 0, 1}).numFeatures(3).numClasses(2).build();
  }

  @Test
  void fit_then_apply_givesMeanZeroAndStdOne() {
    Dataset d = data();
    Standardizer s = Standardizer.fit(d);

    Dataset z = s.apply(d);

    assertThat(s.mean()).containsExactly(new float[] {3f, 7f, 1004f}, within(1e-4f));
    assertThat(s.std()[0]).isCloseTo((float) Math.sqrt(3.5), within(1e-5f));
    for (int j : new int[] {0, 2}) {
      double sum = 0;
      double sq = 0;
      for (int r = 0; r < z.size(); r++) {
        sum += z.feature(r, j);
        sq += z.feature(r, j) * z.feature(r, j);
      }
      assertThat(sum / z.size()).isCloseTo(0, within(1e-6));
      assertThat(Math.sqrt(sq / z.size())).isCloseTo(1, within(1e-5));
    }
    assertThat(z.labels()).containsExactly(d.labels());
    assertThat(d.feature(3, 0)).isEqualTo(6f);
  }

  @Test
  void fit_zeroVarianceFeature_getsStdOneAndMapsToZero() {
    Dataset d = data();
    Standardizer s = Standardizer.fit(d);

    Dataset z = s.apply(d);

    assertThat(s.std()[1]).isEqualTo(1f);
    for (int r = 0; r < z.size(); r++) {
      assertThat(z.feature(r, 1)).isEqualTo(0f);
    }
  }

  @Test
  void apply_otherDataset_usesFittedStatisticsNotItsOwn() {
    Standardizer s = Standardizer.fit(data());
    Dataset other = Dataset.builder().features(new float[] {3 + (float) Math.sqrt(3.5), 8, 1004, 3, 7, 1004})
        .labels(new int[] {0, 1}).numFeatures(3).numClasses(2).build();

    Dataset z = s.apply(other);

    assertThat(z.feature(0, 0)).isCloseTo(1f, within(1e-5f));
    assertThat(z.feature(0, 1)).isEqualTo(1f);
    assertThat(z.feature(1, 2)).isCloseTo(0f, within(1e-6f));
  }

  @Test
  void apply_wrongFeatureCount_rejected() {
    Standardizer s = Standardizer.fit(data());
    Dataset narrow = Dataset.builder().features(new float[] {1, 2}).labels(new int[] {0, 1}).numFeatures(1)
        .numClasses(2).build();

    assertThatThrownBy(() -> s.apply(narrow)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("numFeatures");
  }
}
