package dev.starling.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class FedNovaTest {
  private static final ClientId A = new ClientId("a");
  private static final ClientId B = new ClientId("b");
  private static final ClientId C = new ClientId("c");

  private static ParameterSet params(float w0, float w1, float b) {
    return ParameterSet.of(Tensor.of("w", new float[] {w0, w1}, 2), Tensor.of("b", new float[] {b}, 1));
  }

  private static ParameterSet two(float a, float b) {
    return ParameterSet.of(Tensor.of("w", new float[] {a, b}, 2));
  }

  private static TrainResult result(ParameterSet p, long n, long steps, double loss) {
    return new TrainResult(p, n, steps, Metrics.of(Metrics.LOSS, loss));
  }

  private static AggregateResult aggregate(Strategy s, ParameterSet global, List<ClientId> ids, List<TrainResult> rs) {
    Aggregation agg = s.beginAggregation(1, global);
    for (int i = 0; i < ids.size(); i++) {
      agg.accept(ids.get(i), rs.get(i));
    }
    return agg.finish(List.of());
  }

  @Test
  void aggregate_equalStepsNoMomentum_equalsFedAvg() {
    ParameterSet global = params(0.3f, -1.2f, 0.7f);
    List<ClientId> ids = List.of(A, B, C);
    List<TrainResult> rs = List.of(result(params(1.1f, -0.9f, 0.2f), 10, 5, 0.9),
        result(params(-0.4f, 2.5f, 1.3f), 30, 5, 0.6), result(params(0.8f, 0.1f, -2.0f), 60, 5, 0.3));
    AggregateResult nova = aggregate(new FedNova(), global, ids, rs);
    AggregateResult avg = aggregate(new FedAvg(), global, ids, rs);
    assertThat(nova.parameters().flatten()).containsExactly(avg.parameters().flatten(), within(1e-6f));
    assertThat(nova.metrics().getOrNaN("tau_eff")).isEqualTo(5.0);
    assertThat(nova.metrics().getOrNaN("train_loss")).isCloseTo(0.45, within(1e-12));
    assertThat(nova.metrics().getOrNaN("clients_aggregated")).isEqualTo(3);
    assertThat(nova.metrics().getOrNaN("examples")).isEqualTo(100);
  }

  @Test
  void aggregate_heterogeneousSteps_matchesHandComputedAndDiffersFromFedAvg() {
    // global x=(0, 1). A: tau=10, n=20, w=(-10, 1) -> d_A=(x-w)/10=(1, 0)
    //                  B: tau=1,  n=60, w=(2, 0)   -> d_B=(x-w)/1=(-2, 1)
    // p=(0.25, 0.75); tau_eff=0.25*10+0.75*1=3.25; sum p d=(0.25-1.5, 0.75)=(-1.25, 0.75)
    // x'=x - 3.25*(-1.25, 0.75)=(4.0625, 1-2.4375)=(4.0625, -1.4375)
    // FedAvg instead: 0.25*(-10,1)+0.75*(2,0)=(-1, 0.25)
    ParameterSet global = two(0, 1);
    List<ClientId> ids = List.of(A, B);
    List<TrainResult> rs = List.of(result(two(-10, 1), 20, 10, 0.5), result(two(2, 0), 60, 1, 0.5));
    AggregateResult nova = aggregate(new FedNova(), global, ids, rs);
    float[] avg = aggregate(new FedAvg(), global, ids, rs).parameters().flatten();
    assertThat(nova.parameters().flatten()).containsExactly(new float[] {4.0625f, -1.4375f}, within(1e-5f));
    assertThat(nova.metrics().getOrNaN("tau_eff")).isCloseTo(3.25, within(1e-12));
    assertThat(avg).containsExactly(new float[] {-1f, 0.25f}, within(1e-5f));
  }

  @Test
  void normalizer_momentumHalfThreeSteps_matchesClosedForm() {
    // a = [3 - 0.5(1 - 0.125)/0.5] / 0.5 = (3 - 0.875) / 0.5 = 4.25
    assertThat(FedNova.normalizer(3, 0.5)).isCloseTo(4.25, within(1e-12));
    assertThat(FedNova.normalizer(1, 0.9)).isCloseTo(1.0, within(1e-12));
    assertThat(FedNova.normalizer(7, 0.0)).isEqualTo(7.0);
  }

  @Test
  void normalizer_closedForm_equalsL1NormOfMomentumAggregationVector() {
    // ||a||_1 = sum_{j=1..tau} (1 - rho^j) / (1 - rho): the weight of each step's gradient in the total update
    for (int tau = 1; tau <= 20; tau++) {
      for (double rho : new double[] {0.1, 0.5, 0.9, 0.99}) {
        double direct = 0;
        for (int j = 1; j <= tau; j++) {
          direct += (1 - Math.pow(rho, j)) / (1 - rho);
        }
        assertThat(FedNova.normalizer(tau, rho)).as("tau=%d rho=%s", tau, rho).isCloseTo(direct, within(1e-9));
      }
    }
  }

  @Test
  void aggregate_roundMomentum_usesMomentumNormalizer() {
    // rho=0.5: a_A(tau=3)=4.25, a_B(tau=1)=1; n equal -> p=(0.5, 0.5); global 0.
    // A: w=-4.25 -> d_A=1; B: w=-2 -> d_B=2; tau_eff=0.5*4.25+0.5*1=2.625; x'=-2.625*1.5=-3.9375
    // (ignoring momentum would give a_A=3: tau_eff=2, sum p d=1.7083 -> -3.4167)
    FedNova s = new FedNova();
    TrainConfig base = TrainConfig.builder().round(1).momentum(0.5).build();
    assertThat(s.configureTrain(1, A, base)).isSameAs(base);
    s.configureTrain(1, B, base);
    ParameterSet global = ParameterSet.of(Tensor.of("w", new float[] {0}, 1));
    List<TrainResult> rs = List.of(
        result(ParameterSet.of(Tensor.of("w", new float[] {-4.25f}, 1)), 50, 3, 0.1),
        result(ParameterSet.of(Tensor.of("w", new float[] {-2f}, 1)), 50, 1, 0.1));
    AggregateResult r = aggregate(s, global, List.of(A, B), rs);
    assertThat(r.parameters().flatten()[0]).isCloseTo(-3.9375f, within(1e-5f));
    assertThat(r.metrics().getOrNaN("tau_eff")).isCloseTo(2.625, within(1e-12));
  }

  @Test
  void aggregate_zeroStepClient_isSkipped() {
    ParameterSet global = two(0, 0);
    List<TrainResult> rs = List.of(result(two(100, -100), 50, 0, 9.0), result(two(1, 2), 10, 2, 0.2));
    AggregateResult r = aggregate(new FedNova(), global, List.of(A, B), rs);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {1, 2}, within(1e-6f));
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("examples")).isEqualTo(10);
    assertThat(r.metrics().getOrNaN("train_loss")).isEqualTo(0.2);
  }

  @Test
  void finish_noUpdates_returnsGlobal() {
    ParameterSet global = two(3, 4);
    AggregateResult r = new FedNova().beginAggregation(1, global)
        .finish(List.of(new ClientFailure(A, ErrorCode.UNAVAILABLE, "dropped")));
    assertThat(r.parameters()).isSameAs(global);
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isZero();
    assertThat(r.metrics().get("tau_eff")).isEmpty();
  }

  @Test
  void describe_andRequiredInput() {
    FedNova s = new FedNova();
    assertThat(s.describe()).isEqualTo("FedNova(weighting=examples)");
    assertThat(s.requiredInput()).isEqualTo(AggregationInput.PER_CLIENT_DETAILS);
  }
}
