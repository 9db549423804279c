package dev.starling.core.random;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class RandomSourceTest {
  @Test
  void derive_sameKeys_sameStreamRegardlessOfParentUse() {
    RandomSource a = RandomSource.seeded(5);
    RandomSource b = RandomSource.seeded(5);
    for (int i = 0; i < 100; i++) {
      b.nextLong();
    }
    assertThat(a.derive(3, 7).nextLong()).isEqualTo(b.derive(3, 7).nextLong());
  }

  @Test
  void derive_differentKeysOrSeeds_differentStreams() {
    RandomSource r = RandomSource.seeded(5);
    long x = r.derive(3, 7).nextLong();
    assertThat(r.derive(7, 3).nextLong()).isNotEqualTo(x);
    assertThat(r.derive(3).nextLong()).isNotEqualTo(x);
    assertThat(RandomSource.seeded(6).derive(3, 7).nextLong()).isNotEqualTo(x);
  }

  @Test
  void permutation_isPermutationAndSeeded() {
    int[] p = RandomSource.seeded(1).permutation(1000);
    int[] sorted = p.clone();
    Arrays.sort(sorted);
    for (int i = 0; i < 1000; i++) {
      assertThat(sorted[i]).isEqualTo(i);
    }
    assertThat(RandomSource.seeded(1).permutation(1000)).containsExactly(p);
  }

  @Test
  void nextGamma_meanMatchesShape() {
    RandomSource r = RandomSource.seeded(11);
    for (double shape : new double[] {0.1, 0.5, 1, 3}) {
      double sum = 0;
      int n = 200_000;
      for (int i = 0; i < n; i++) {
        sum += r.nextGamma(shape);
      }
      // Var = shape; the standard error of the mean is sqrt(shape / n); allow 6 of them.
      assertThat(sum / n).as("shape %s", shape).isCloseTo(shape, org.assertj.core.data.Offset.offset(6 * Math.sqrt(shape / n)));
    }
  }

  @Test
  void nextDirichlet_sumsToOne() {
    double[] p = RandomSource.seeded(2).nextDirichlet(0.3, 10);
    assertThat(Arrays.stream(p).sum()).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(Arrays.stream(p).min().orElseThrow()).isGreaterThanOrEqualTo(0.0);
  }

  @Test
  void secure_isNotSeededAndDerivesSecure() {
    RandomSource s = RandomSource.secure();
    assertThat(s.isSecure()).isTrue();
    assertThat(s.derive(1).isSecure()).isTrue();
  }
}
