package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class ContributionBenchTest {
  @Test
  void tiesShareTheirMeanRankAndSpearmanIsPearsonOnRanks() {
    assertThat(ContributionBench.ranks(new double[] {0.3, -1, 0.3, 2})).containsExactly(2.5, 1, 2.5, 4);
    assertThat(ContributionBench.spearman(new double[] {1, 2, 3, 4}, new double[] {10, 20, 30, 400})).isEqualTo(1.0);
    assertThat(ContributionBench.spearman(new double[] {1, 2, 3, 4}, new double[] {4, 3, 2, 1})).isEqualTo(-1.0);
    // ranks (1,2,3,4) vs (2,1,4,3): 1 - 6*4/(4*15) = 0.6
    assertThat(ContributionBench.spearman(new double[] {1, 2, 3, 4}, new double[] {2, 1, 4, 3})).isCloseTo(0.6, within(1e-12));
  }
}
