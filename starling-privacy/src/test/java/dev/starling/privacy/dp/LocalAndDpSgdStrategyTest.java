package dev.starling.privacy.dp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.privacy.accounting.RdpAccountant;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategies;
import java.util.List;
import java.util.OptionalDouble;
import org.junit.jupiter.api.Test;

class LocalAndDpSgdStrategyTest {
  private static final ParameterSet GLOBAL = ParameterSet.of(Tensor.of("w", new float[] {0, 0}, 2));

  @Test
  void localDp_epsilonIsGaussianWithHalfSigmaPerRound_andWrapsRobustRules() {
    LocalDpStrategy s = new LocalDpStrategy(Strategies.parse("median"), LocalDpConfig.of(1.0, 4.0));
    s.prepare(new RoundPlan(3, 10));
    assertThat(s.clientInterceptors()).hasSize(1);
    for (int round = 1; round <= 3; round++) {
      Aggregation a = s.beginAggregation(round, GLOBAL);
      for (int i = 0; i < 3; i++) {
        a.accept(ClientId.ofIndex(i), new TrainResult(GLOBAL, 1, 1, Metrics.empty()));
      }
      double eps = a.finish(List.of()).metrics().getOrNaN("epsilon");
      assertThat(eps).isCloseTo(new RdpAccountant().epsilon(1.0, 2.0, round, 1e-5), within(1e-12));
    }
  }

  @Test
  void dpSgd_attachesSettingsAndReportsTheWorstClient() {
    DpSgdSettings settings = new DpSgdSettings(1.0, 1.0, false);
    DpSgdStrategy s = new DpSgdStrategy(new FedAvg(), settings, new RdpAccountant(), 1e-5, OptionalDouble.empty());
    s.prepare(new RoundPlan(2, 2));
    TrainConfig c = s.configureTrain(1, ClientId.ofIndex(0), TrainConfig.builder().batchSize(10).build());
    assertThat(DpSgdSettings.from(c)).contains(settings);
    Aggregation a = s.beginAggregation(1, GLOBAL);
    a.accept(ClientId.ofIndex(0), new TrainResult(GLOBAL, 100, 10, Metrics.empty())); // q = 0.1
    a.accept(ClientId.ofIndex(1), new TrainResult(GLOBAL, 20, 2, Metrics.empty()));   // q = 0.5
    double eps = a.finish(List.of()).metrics().getOrNaN("epsilon");
    RdpAccountant rdp = new RdpAccountant();
    assertThat(eps).isEqualTo(Math.max(rdp.epsilon(0.1, 1.0, 10, 1e-5), rdp.epsilon(0.5, 1.0, 2, 1e-5)));
  }

  @Test
  void dpSgd_plannedClientOverBudget_refusesBeforeRound1() {
    DpSgdStrategy s = new DpSgdStrategy(new FedAvg(), new DpSgdSettings(1.0, 0.8, false), new RdpAccountant(), 1e-5,
        OptionalDouble.of(1.0));
    s.plan(List.of(1000, 50), 2, 25);
    assertThatThrownBy(() -> s.prepare(new RoundPlan(2, 2)))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.BUDGET_EXHAUSTED))
        .hasMessageContaining("50 examples");
  }

  @Test
  void dpSgd_budgetSurvivesACheckpoint_epsilonGoesOnInsteadOfRestarting() {
    DpSgdStrategy original = new DpSgdStrategy(new FedAvg(), new DpSgdSettings(1.0, 1.0, false), new RdpAccountant(), 1e-5,
        OptionalDouble.of(50));
    original.prepare(new RoundPlan(2, 2));
    original.configureTrain(1, ClientId.ofIndex(0), TrainConfig.builder().batchSize(10).build());
    Aggregation a = original.beginAggregation(1, GLOBAL);
    a.accept(new ClientId("alice/phone 1"), new TrainResult(GLOBAL, 100, 10, Metrics.empty()));
    a.accept(ClientId.ofIndex(1), new TrainResult(GLOBAL, 20, 2, Metrics.empty()));
    double eps1 = a.finish(List.of()).metrics().getOrNaN("epsilon");

    DpSgdStrategy resumed = new DpSgdStrategy(new FedAvg(), new DpSgdSettings(1.0, 1.0, false), new RdpAccountant(), 1e-5,
        OptionalDouble.of(50));
    resumed.prepare(new RoundPlan(2, 2));
    resumed.configureTrain(2, ClientId.ofIndex(0), TrainConfig.builder().batchSize(10).build());
    resumed.restoreState(original.saveState());
    assertThat(resumed.epsilon()).isEqualTo(eps1).isPositive();
    assertThat(resumed.budgetExhausted()).isEqualTo(original.budgetExhausted());
    Aggregation b = resumed.beginAggregation(2, GLOBAL);
    b.accept(ClientId.ofIndex(1), new TrainResult(GLOBAL, 20, 2, Metrics.empty()));
    // client 1 has now taken 4 steps at q = 0.5: the epsilon of 4 steps, not of 2 as a fresh start would say
    assertThat(b.finish(List.of()).metrics().getOrNaN("epsilon"))
        .isEqualTo(Math.max(eps1, new RdpAccountant().epsilon(0.5, 1.0, 4, 1e-5)));
  }
}
