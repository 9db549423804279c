package dev.starling.ledger.contribution;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.FlException;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import java.util.function.ToDoubleFunction;
import org.junit.jupiter.api.Test;

class ContributionsTest {
  private static ParameterSet scalar(float v) {
    return ParameterSet.of(Tensor.of("w", new float[] {v}, 1));
  }

  /**
   * Clients A, B, C send the scalars 1, 2 and 4 (one example each), so every coalition's average is
   * distinct: {} -> 0 (the starting model), A 1, B 2, C 4, AB 1.5, AC 2.5, BC 3, ABC 7/3. The utility is
   * the hand-made game v({}) = 0, v(A) = 6, v(B) = 4, v(C) = 2, v(AB) = 12, v(AC) = 10, v(BC) = 8,
   * v(ABC) = 18. By hand over the 6 orders, Shapley is A (6+6+8+10+8+10)/6 = 8, B (6+8+4+4+8+6)/6 = 6,
   * C (6+4+6+4+2+2)/6 = 4; leave-one-out is A 18-8 = 10, B 18-10 = 8, C 18-12 = 6.
   */
  private static final double[][] GAME = {
      {0, 0}, {1, 6}, {2, 4}, {4, 2}, {1.5, 12}, {2.5, 10}, {3, 8}, {7.0 / 3, 18}};

  private static final ToDoubleFunction<ParameterSet> UTILITY = p -> {
    float w = p.get("w").data()[0];
    for (double[] g : GAME) {
      if (Math.abs(g[0] - w) < 1e-5) {
        return g[1];
      }
    }
    throw new AssertionError("no coalition averages to " + w);
  };

  private static Contributions threeClients() {
    return new Contributions(List.of(new Contributions.Update("A", scalar(1), 1),
        new Contributions.Update("B", scalar(2), 1), new Contributions.Update("C", scalar(4), 1)), scalar(0), UTILITY);
  }

  @Test
  void exactShapleyMatchesTheHandComputedThreeClientGame() {
    Contributions.Scores s = threeClients().compute(ContributionMethod.EXACT, Contributions.Settings.defaults(1));
    assertThat(s.scores()).containsExactly(new double[] {8, 6, 4}, within(1e-9));
    assertThat(s.evaluations()).isEqualTo(8);
  }

  @Test
  void leaveOneOutMatchesTheHandComputedGame() {
    Contributions.Scores s = threeClients().compute(ContributionMethod.LOO, Contributions.Settings.defaults(1));
    assertThat(s.scores()).containsExactly(new double[] {10, 8, 6}, within(1e-9));
    assertThat(s.evaluations()).isEqualTo(4);
  }

  @Test
  void monteCarloEstimatesApproachExactShapley() {
    // with every one of the 6 orders equally likely, 2000 samples land within a few tenths of (8, 6, 4)
    Contributions.Settings many = new Contributions.Settings(2000, 0, 0, 0, 42);
    assertThat(threeClients().compute(ContributionMethod.TMC, many).scores()).containsExactly(new double[] {8, 6, 4}, within(0.35));
    assertThat(threeClients().compute(ContributionMethod.GTG, many).scores()).containsExactly(new double[] {8, 6, 4}, within(0.35));
  }

  @Test
  void gtgSkipsARoundWhoseAggregateChangesNothing() {
    ToDoubleFunction<ParameterSet> flat = p -> 0.5;
    Contributions c = new Contributions(List.of(new Contributions.Update("A", scalar(1), 3),
        new Contributions.Update("B", scalar(2), 1)), scalar(0), flat);
    Contributions.Scores s = c.compute(ContributionMethod.GTG, Contributions.Settings.defaults(1));
    assertThat(s.scores()).containsExactly(0, 0);
    assertThat(s.evaluations()).isEqualTo(2); // v(N) and v({}) only
  }

  @Test
  void exactShapleyRefusesMoreThanEightClients() {
    List<Contributions.Update> nine = new ArrayList<>();
    for (int i = 0; i < 9; i++) {
      nine.add(new Contributions.Update("c" + i, scalar(i), 1));
    }
    Contributions c = new Contributions(nine, scalar(0), p -> 0);
    assertThatThrownBy(() -> c.compute(ContributionMethod.EXACT, Contributions.Settings.defaults(1)))
        .isInstanceOf(FlException.class).hasMessageContaining("at most 8 clients").hasMessageContaining("has 9");
  }

  @Test
  void rewardsSplitTheBudgetOverPositiveScoresOnly() {
    assertThat(Contributions.rewards(new double[] {8, 6, 4}, 9)).containsExactly(new double[] {4, 3, 2}, within(1e-12));
    assertThat(Contributions.rewards(new double[] {3, -1, 0, 1}, 2)).containsExactly(new double[] {1.5, 0, 0, 0.5}, within(1e-12));
    assertThat(Contributions.rewards(new double[] {-1, 0}, 5)).containsExactly(0, 0);
  }

  @Test
  void parsesTheCliNames() {
    assertThat(ContributionMethod.parse("GTG")).isEqualTo(ContributionMethod.GTG);
    assertThatThrownBy(() -> ContributionMethod.parse("banzhaf")).hasMessageContaining("use loo, exact, tmc or gtg");
  }
}
