package dev.starling.privacy.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategies;
import java.util.List;
import org.junit.jupiter.api.Test;

class CentralDpStrategyTest {
  static ParameterSet vec(float... v) {
    return ParameterSet.of(Tensor.of("w", v, v.length));
  }

  static TrainResult result(ParameterSet p) {
    return new TrainResult(p, 10, 1, Metrics.of(Metrics.LOSS, 0.5));
  }

  @Test
  void aggregate_clipsEachUpdateAndDividesByClientsPerRound() {
    CentralDpStrategy s = new CentralDpStrategy(new FedAvg(), CentralDpConfig.fixed(1.0, 1e-12), RandomSource.seeded(1));
    s.prepare(new RoundPlan(4, 10));
    ParameterSet global = vec(0, 0);
    Aggregation a = s.beginAggregation(1, global);
    a.accept(ClientId.ofIndex(0), result(vec(30, 40)));   // norm 50 -> clipped to (0.6, 0.8)
    a.accept(ClientId.ofIndex(1), result(vec(0.3f, 0)));   // within the bound
    AggregateResult r = a.finish(List.of());
    float[] w = r.parameters().get("w").data();
    assertThat(w[0]).isCloseTo((0.6f + 0.3f) / 4, within(1e-6f));
    assertThat(w[1]).isCloseTo(0.8f / 4, within(1e-6f));
    assertThat(r.metrics().getOrNaN("clients_clipped")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("epsilon")).isPositive();
    assertThat(r.metrics().getOrNaN("delta")).isEqualTo(1e-5);
  }

  @Test
  void constructor_robustDelegate_refusedWithExplanation() {
    assertThatThrownBy(() -> new CentralDpStrategy(Strategies.parse("median"), CentralDpConfig.fixed(1, 1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("individual updates")
        .hasMessageContaining("fedavg");
  }

  @Test
  void prepare_oneRoundOverBudget_refusesToStart() {
    CentralDpStrategy s = new CentralDpStrategy(new FedAvg(), CentralDpConfig.fixed(1, 0.3).withTargetEpsilon(0.5));
    assertThatThrownBy(() -> s.prepare(new RoundPlan(10, 10)))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUDGET_EXHAUSTED))
        .hasMessageContaining("refusing to start");
  }

  @Test
  void budgetExhausted_reportedBeforeTheRoundThatWouldExceed() {
    CentralDpStrategy s = new CentralDpStrategy(new FedAvg(), CentralDpConfig.fixed(1, 1.0).withTargetEpsilon(3.0),
        RandomSource.seeded(2));
    s.prepare(new RoundPlan(5, 50));
    ParameterSet global = vec(0, 0);
    int rounds = 0;
    while (s.budgetExhausted().isEmpty()) {
      Aggregation a = s.beginAggregation(rounds + 1, global);
      a.accept(ClientId.ofIndex(0), result(vec(1, 1)));
      double eps = a.finish(List.of()).metrics().getOrNaN("epsilon");
      assertThat(eps).isLessThanOrEqualTo(3.0);
      rounds++;
    }
    assertThat(rounds).isGreaterThan(1);
    assertThat(s.budget().epsilonAfter(rounds + 1)).isGreaterThan(3.0);
    assertThat(s.budgetExhausted().get()).contains("round " + (rounds + 1)).contains("> target 3.0");
  }

  @Test
  void adaptiveClipping_tracksTheMedianNorm() {
    CentralDpStrategy s = new CentralDpStrategy(new FedAvg(), CentralDpConfig.adaptive(0.5, 1.0), RandomSource.seeded(3));
    s.prepare(new RoundPlan(100, 1000));
    ParameterSet global = vec(0, 0);
    for (int round = 1; round <= 60; round++) {
      Aggregation a = s.beginAggregation(round, global);
      for (int i = 0; i < 100; i++) {
        float n = 0.5f + i / 99f; // norms spread over [0.5, 1.5], median 1.0
        a.accept(ClientId.ofIndex(i), result(vec(n, 0)));
      }
      a.finish(List.of());
    }
    assertThat(s.clipNorm()).isBetween(0.85, 1.15);
  }

  /** Runs one round of {@code s} from {@code global} with two clients; returns the new model. */
  private static ParameterSet round(CentralDpStrategy s, int round, ParameterSet global) {
    Aggregation a = s.beginAggregation(round, global);
    a.accept(ClientId.ofIndex(0), result(vec(3, 4)));
    a.accept(ClientId.ofIndex(1), result(vec(0.1f, 0)));
    return a.finish(List.of()).parameters();
  }

  @Test
  void saveState_resumedRun_continuesTheBudgetAndTheAdaptiveClipNorm() {
    CentralDpConfig cfg = CentralDpConfig.adaptive(0.5, 1.0).withTargetEpsilon(50);
    CentralDpStrategy first = new CentralDpStrategy(new FedAvg(), cfg, RandomSource.seeded(1));
    first.prepare(new RoundPlan(20, 100));
    ParameterSet g = vec(0, 0);
    for (int r = 1; r <= 3; r++) {
      g = round(first, r, g);
    }
    ParameterSet saved = first.saveState();
    assertThat(saved.names()).contains("dp.central.steps", "dp.central.clip-norm");

    CentralDpStrategy resumed = new CentralDpStrategy(new FedAvg(), cfg, RandomSource.seeded(2));
    resumed.prepare(new RoundPlan(20, 100));
    resumed.restoreState(saved);
    assertThat(resumed.budget().steps()).isEqualTo(3);
    assertThat(resumed.budget().epsilon()).isEqualTo(first.budget().epsilon());
    assertThat(resumed.clipNorm()).isEqualTo(first.clipNorm()).isNotEqualTo(cfg.clipNorm()); // moved from C0
    round(resumed, 4, g);
    round(first, 4, g);
    assertThat(resumed.budget().steps()).isEqualTo(4);
    assertThat(resumed.budget().epsilon()).isEqualTo(first.budget().epsilon());
    // the clip norm's next step depends on the noisy count, and the two runs draw different noise
  }
}
