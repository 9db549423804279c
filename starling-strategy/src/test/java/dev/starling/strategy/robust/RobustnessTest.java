package dev.starling.strategy.robust;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.message.ClientId;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ClientVerdict.Action;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * 13 honest clients send the true mean plus seeded Gaussian noise (sigma 0.01); f = 2 attackers, arriving
 * at positions 3 and 9, send arbitrary vectors. Each robust rule must land near the honest mean while
 * FedAvg is dragged far away.
 */
class RobustnessTest {
  private static final int HONEST = 13;
  private static final int F = 2;
  private static final int D = 50;
  private static final int[] ATTACKER_POSITIONS = {3, 9};
  private static final float[] TRUE_MEAN = vector(1);

  /** Uniform values in [-1, 1). */
  private static float[] vector(long seed) {
    RandomSource rng = RandomSource.seeded(seed);
    float[] v = new float[D];
    for (int j = 0; j < D; j++) {
      v[j] = (float) (2 * rng.nextDouble() - 1);
    }
    return v;
  }

  /** The 15 updates: honest ones drawn from seed 100, the attackers' at {@link #ATTACKER_POSITIONS}. */
  private static float[][] round(List<float[]> attackers) {
    float[][] u = new float[HONEST + F][];
    RandomSource rng = RandomSource.seeded(100);
    int a = 0;
    for (int i = 0; i < u.length; i++) {
      if (a < F && i == ATTACKER_POSITIONS[a]) {
        u[i] = attackers.get(a++);
      } else {
        u[i] = new float[D];
        for (int j = 0; j < D; j++) {
          u[i][j] = (float) (TRUE_MEAN[j] + 0.01 * rng.nextGaussian());
        }
      }
    }
    return u;
  }

  private static float[] honestMean(float[][] u) {
    float[] m = new float[D];
    for (int i = 0; i < u.length; i++) {
      if (i != ATTACKER_POSITIONS[0] && i != ATTACKER_POSITIONS[1]) {
        for (int j = 0; j < D; j++) {
          m[j] += u[i][j] / HONEST;
        }
      }
    }
    return m;
  }

  private static float[] constant(float v) {
    float[] a = new float[D];
    java.util.Arrays.fill(a, v);
    return a;
  }

  private static float[] scaled(float[] x, float s) {
    float[] a = x.clone();
    for (int j = 0; j < D; j++) {
      a[j] *= s;
    }
    return a;
  }

  static Stream<Arguments> attacks() {
    return Stream.of(
        Arguments.of("both +1e6", List.of(constant(1e6f), constant(1e6f))),
        Arguments.of("+1e6 and -2e6", List.of(constant(1e6f), constant(-2e6f))),
        Arguments.of("sign-flipped honest mean x10", List.of(scaled(TRUE_MEAN, -10), scaled(TRUE_MEAN, -10))));
  }

  static Stream<Arguments> rulesAndAttacks() {
    List<String> rules = List.of("median", "trimmed:0.2", "krum:2", "multikrum:2", "bulyan:2");
    return rules.stream().flatMap(r -> attacks().map(a -> Arguments.of(r, a.get()[0], a.get()[1])));
  }

  private static AggregateResult run(Strategy s, float[][] u, ParameterSet global) {
    s.prepare(new RoundPlan(u.length, u.length));
    Aggregation agg = s.beginAggregation(1, global);
    for (int i = 0; i < u.length; i++) {
      agg.accept(ClientId.ofIndex(i), Rounds.result(params(u[i]), 10, 0.5));
    }
    return agg.finish(List.of());
  }

  private static ParameterSet params(float[] v) {
    return Rounds.params(v);
  }

  @ParameterizedTest(name = "{0} vs {1}")
  @MethodSource("rulesAndAttacks")
  @SuppressWarnings("unchecked")
  void aggregate_fAttackers_staysNearHonestMeanWhileFedAvgDoesNot(String rule, String attack, Object attackers) {
    float[][] u = round((List<float[]>) attackers);
    float[] honest = honestMean(u);
    ParameterSet global = params(new float[D]);
    float[] robust = run(RobustRules.parse(rule), u, global).parameters().flatten();
    float[] fedAvg = run(new FedAvg(), u, global).parameters().flatten();
    assertThat(Rounds.maxAbsDiff(robust, honest)).as(rule).isLessThan(0.05);
    assertThat(Rounds.maxAbsDiff(fedAvg, honest)).as("FedAvg").isGreaterThan(0.5);
  }

  @Test
  void krum_attackers_picksAnHonestUpdateAndRejectsBoth() {
    float[][] u = round(List.of(scaled(TRUE_MEAN, -10), constant(1e6f)));
    AggregateResult r = run(new Krum(F), u, params(new float[D]));
    List<Integer> rejected = Rounds.clients(r.verdicts(), Action.REJECTED);
    assertThat(rejected).hasSize(HONEST + F - 1).contains(ATTACKER_POSITIONS[0], ATTACKER_POSITIONS[1]);
    int picked = java.util.stream.IntStream.range(0, u.length).filter(i -> !rejected.contains(i)).findFirst().orElseThrow();
    assertThat(r.parameters().flatten()).containsExactly(u[picked]);
  }

  @Test
  void multiKrum_attackers_verdictsRejectExactlyTheAttackers() {
    float[][] u = round(List.of(scaled(TRUE_MEAN, -10), scaled(TRUE_MEAN, -10)));
    AggregateResult r = run(new MultiKrum(F), u, params(new float[D]));
    assertThat(Rounds.clients(r.verdicts(), Action.REJECTED)).containsExactly(ATTACKER_POSITIONS[0], ATTACKER_POSITIONS[1]);
    assertThat(Rounds.maxAbsDiff(r.parameters().flatten(), honestMean(u))).isLessThan(1e-5);
  }

  @Test
  void bulyan_attackers_verdictsRejectBothAttackers() {
    float[][] u = round(List.of(constant(-1e6f), constant(1e6f)));
    AggregateResult r = run(new Bulyan(F), u, params(new float[D]));
    assertThat(Rounds.clients(r.verdicts(), Action.REJECTED)).hasSize(2 * F)
        .contains(ATTACKER_POSITIONS[0], ATTACKER_POSITIONS[1]);
  }

  @Test
  void normBounded_hugeAttackers_influenceBoundedByFTimesMaxNormOverN() {
    float[][] u = round(List.of(constant(1e6f), constant(3e5f)));
    float[] honest = honestMean(u);
    ParameterSet global = params(TRUE_MEAN.clone()); // honest deltas are ~0.07 long, well inside the bound
    double maxNorm = 1.0;
    AggregateResult r = run(new NormBoundedStrategy(FedAvg.plainAverage(), maxNorm), u, global);
    // mean - honestMean = F/n * (global + clippedDelta - honestMean) for each (equal) clipped attacker
    double bound = F * (maxNorm + Rounds.l2Diff(honest, TRUE_MEAN)) / (HONEST + F);
    assertThat(Rounds.l2Diff(r.parameters().flatten(), honest)).isLessThanOrEqualTo(bound + 1e-4).isGreaterThan(bound / 2);
    assertThat(Rounds.clients(r.verdicts(), Action.CLIPPED)).containsExactly(ATTACKER_POSITIONS[0], ATTACKER_POSITIONS[1]);
    assertThat(Rounds.l2Diff(run(FedAvg.plainAverage(), u, global).parameters().flatten(), honest)).isGreaterThan(1e4);
  }

  @ParameterizedTest(name = "{0}")
  @org.junit.jupiter.params.provider.ValueSource(strings = {"median", "trimmed:0.2"})
  void coordinateRules_attackers_flagExactlyTheAttackers(String rule) {
    // An honest client holds the kept (middle) values of about 1/13 of the coordinates, so on a model of
    // 2,000 coordinates its keep rate is far above half the mean; attackers beyond every honest value
    // are never kept. (On a 50-coordinate model an honest client's keep count is too noisy to judge.)
    int d = 2000;
    RandomSource rng = RandomSource.seeded(7);
    float[][] u = new float[HONEST + F][d];
    for (int i = 0; i < u.length; i++) {
      boolean attacker = i == ATTACKER_POSITIONS[0] || i == ATTACKER_POSITIONS[1];
      for (int j = 0; j < d; j++) {
        u[i][j] = attacker ? (i == ATTACKER_POSITIONS[0] ? -10f : 1e6f) : (float) (0.01 * rng.nextGaussian());
      }
    }
    AggregateResult r = run(RobustRules.parse(rule), u, params(new float[d]));
    assertThat(Rounds.clients(r.verdicts(), Action.DOWNWEIGHTED)).as(rule)
        .containsExactly(ATTACKER_POSITIONS[0], ATTACKER_POSITIONS[1]);
  }
}
