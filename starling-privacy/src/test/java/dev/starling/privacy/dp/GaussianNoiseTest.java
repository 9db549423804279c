package dev.starling.privacy.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.random.RandomSource;
import org.junit.jupiter.api.Test;

class GaussianNoiseTest {
  @Test
  void outputsLieOnTheGridWithTheDocumentedStd() {
    double c = 0.8;
    double z = 1.3;
    int d = 40_000;
    GaussianNoise noise = GaussianNoise.of(c, z, d);
    assertThat(noise.grid()).isEqualTo(c * Math.scalb(1.0, -20));
    assertThat(noise.std()).isCloseTo(z * c * (1 + 2 * Math.sqrt(d) * Math.scalb(1.0, -20)), within(1e-12));
    double[] x = new double[d];
    java.util.Arrays.fill(x, 0.123456789);
    noise.addTo(x, RandomSource.seeded(5));
    double mean = 0;
    double sq = 0;
    for (double v : x) {
      double k = v / noise.grid();
      assertThat(Math.abs(k - Math.rint(k))).isLessThan(1e-6); // on the grid
      mean += v;
      sq += (v - 0.123456789) * (v - 0.123456789);
    }
    mean /= d;
    double std = Math.sqrt(sq / d);
    assertThat(mean).isCloseTo(0.123456789, within(5 * z * c / Math.sqrt(d)));
    assertThat(std).isCloseTo(noise.std(), within(0.02 * noise.std()));
  }

  @Test
  void gridFollowsTheNoiseWhenTheMultiplierIsSmall() {
    GaussianNoise noise = GaussianNoise.of(2.0, 0.01, 10);
    assertThat(noise.grid()).isEqualTo(0.01 * 2.0 * Math.scalb(1.0, -20));
  }

  @Test
  void zeroMultiplierLeavesValuesAlone() {
    float[] x = {0.1f, -3f};
    GaussianNoise.of(1, 0, 2).addTo(x, RandomSource.seeded(1));
    assertThat(x).containsExactly(0.1f, -3f);
  }

  @Test
  void seededSourceReproducesAndSecureDoesNot() {
    float[] a = new float[64];
    float[] b = new float[64];
    GaussianNoise n = GaussianNoise.of(1, 1, 64);
    n.addTo(a, GaussianNoise.source(true, 9, 1, 2));
    n.addTo(b, GaussianNoise.source(true, 9, 1, 2));
    assertThat(a).containsExactly(b);
    assertThat(GaussianNoise.source(false, 9, 1, 2).isSecure()).isTrue();
    assertThat(GaussianNoise.source(true, 9, 1, 2).isSecure()).isFalse();
  }
}
