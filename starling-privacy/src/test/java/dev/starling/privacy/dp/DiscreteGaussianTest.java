package dev.starling.privacy.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.random.RandomSource;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class DiscreteGaussianTest {
  /** Variance of N_Z(0, sigma^2), summed exactly over the support (it is below sigma^2 for small sigma). */
  private static double exactVariance(double sigma) {
    double z = 0;
    double m2 = 0;
    for (long x = -(long) (40 * sigma) - 40; x <= (long) (40 * sigma) + 40; x++) {
      double w = Math.exp(-x * (double) x / (2 * sigma * sigma));
      z += w;
      m2 += w * x * x;
    }
    return m2 / z;
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.3, 1.0, 2.5, 17.0, 1000.0, 3.0e6})
  void meanAndVarianceMatch(double sigma) {
    DiscreteGaussian g = new DiscreteGaussian(sigma);
    RandomSource rng = RandomSource.seeded(42);
    int n = 200_000;
    double sum = 0;
    double sumSq = 0;
    for (int i = 0; i < n; i++) {
      long x = g.sample(rng);
      sum += x;
      sumSq += (double) x * x;
    }
    double mean = sum / n;
    double var = sumSq / n - mean * mean;
    double expected = exactVariance(sigma);
    // standard error of the mean is sigma / sqrt(n); of the variance about sigma^2 sqrt(2 / n)
    assertThat(mean).as("mean, sigma %s", sigma).isCloseTo(0, within(5 * Math.sqrt(expected / n) + 1e-9));
    assertThat(var).as("variance, sigma %s", sigma).isCloseTo(expected, within(5 * expected * Math.sqrt(2.0 / n)));
    if (sigma >= 1) {
      assertThat(expected).isCloseTo(sigma * sigma, within(1e-6 * sigma * sigma));
    }
  }

  @ParameterizedTest
  @ValueSource(doubles = {0.7, 1.5, 4.0})
  void pmfMatchesByChiSquare(double sigma) {
    DiscreteGaussian g = new DiscreteGaussian(sigma);
    RandomSource rng = RandomSource.seeded(7);
    int n = 400_000;
    Map<Long, Integer> counts = new HashMap<>();
    for (int i = 0; i < n; i++) {
      counts.merge(g.sample(rng), 1, Integer::sum);
    }
    double z = 0;
    long range = (long) Math.ceil(12 * sigma);
    for (long x = -range; x <= range; x++) {
      z += Math.exp(-x * (double) x / (2 * sigma * sigma));
    }
    // chi-square over the cells with expected count >= 20, plus one cell for the two tails together
    double chi = 0;
    int cells = 0;
    long inCells = 0;
    double expectedInCells = 0;
    for (long x = -range; x <= range; x++) {
      double expected = n * Math.exp(-x * (double) x / (2 * sigma * sigma)) / z;
      if (expected < 20) {
        continue;
      }
      int observed = counts.getOrDefault(x, 0);
      chi += (observed - expected) * (observed - expected) / expected;
      cells++;
      inCells += observed;
      expectedInCells += expected;
    }
    double tailExpected = n - expectedInCells;
    long tailObserved = n - inCells;
    if (tailExpected >= 20) {
      chi += (tailObserved - tailExpected) * (tailObserved - tailExpected) / tailExpected;
      cells++;
    } else {
      assertThat(tailObserved).as("draws in cells expected to hold %s", tailExpected).isLessThan(60);
    }
    int dof = cells - 1;
    // 99.9% quantile of chi-square(k) is below k + 3.1 sqrt(2k) + 11 for the k here (Wilson-Hilferty)
    assertThat(chi).as("chi-square with %d degrees of freedom, sigma %s", dof, sigma)
        .isLessThan(dof + 3.1 * Math.sqrt(2.0 * dof) + 11);
    // spot checks at a few points
    for (long x : new long[] {0, 1, -2}) {
      double p = Math.exp(-x * (double) x / (2 * sigma * sigma)) / z;
      double observed = counts.getOrDefault(x, 0) / (double) n;
      assertThat(observed).as("P[X = %d], sigma %s", x, sigma).isCloseTo(p, within(5 * Math.sqrt(p * (1 - p) / n)));
    }
  }

  @Test
  void symmetricAndIntegerValuedAtTheExtremes() {
    DiscreteGaussian tiny = new DiscreteGaussian(1e-9);
    RandomSource rng = RandomSource.seeded(3);
    for (int i = 0; i < 1000; i++) {
      assertThat(tiny.sample(rng)).isZero();
    }
  }

  @Test
  void seededStreamsReproduceAndDifferBySeed() {
    DiscreteGaussian g = new DiscreteGaussian(3.7);
    long[] a = draw(g, RandomSource.seeded(11), 50);
    long[] b = draw(g, RandomSource.seeded(11), 50);
    long[] c = draw(g, RandomSource.seeded(12), 50);
    assertThat(a).containsExactly(b);
    assertThat(a).isNotEqualTo(c);
  }

  @Test
  void rejectsBadSigma() {
    assertThatThrownBy(() -> new DiscreteGaussian(0)).hasMessageContaining("sigma");
    assertThatThrownBy(() -> new DiscreteGaussian(Double.NaN)).hasMessageContaining("sigma");
    assertThatThrownBy(() -> new DiscreteGaussian(Double.POSITIVE_INFINITY)).hasMessageContaining("sigma");
  }

  private static long[] draw(DiscreteGaussian g, RandomSource rng, int n) {
    long[] out = new long[n];
    for (int i = 0; i < n; i++) {
      out[i] = g.sample(rng);
    }
    return out;
  }
}
