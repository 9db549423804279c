package dev.starling.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class FedAvgTest {
  private static ParameterSet params(float w0, float w1, float b) {
    return ParameterSet.of(Tensor.of("w", new float[] {w0, w1}, 2), Tensor.of("b", new float[] {b}, 1));
  }

  private static TrainResult result(ParameterSet p, long n, double loss) {
    return new TrainResult(p, n, 1, Metrics.of(Metrics.LOSS, loss));
  }

  @Test
  void aggregate_threeClients_matchesHandComputedWeightedMean() {
    // n = 10, 30, 60 (total 100). w0: (1*10 + 2*30 + 4*60)/100 = 310/100 = 3.1
    // w1: (-1*10 + 0*30 + 1*60)/100 = 0.5 ; b: (10*10 + 20*30 + 30*60)/100 = 2500/100 = 25
    // train_loss: (0.9*10 + 0.6*30 + 0.3*60)/100 = 45/100 = 0.45
    Aggregation agg = new FedAvg().beginAggregation(1, params(0, 0, 0));
    agg.accept(new ClientId("a"), result(params(1, -1, 10), 10, 0.9));
    agg.accept(new ClientId("b"), result(params(2, 0, 20), 30, 0.6));
    agg.accept(new ClientId("c"), result(params(4, 1, 30), 60, 0.3));
    AggregateResult r = agg.finish(List.of());
    assertThat(r.parameters().get("w").data()).containsExactly(new float[] {3.1f, 0.5f}, org.assertj.core.data.Offset.offset(1e-5f));
    assertThat(r.parameters().get("b").data()[0]).isCloseTo(25f, org.assertj.core.data.Offset.offset(1e-4f));
    assertThat(r.metrics().getOrNaN("train_loss")).isCloseTo(0.45, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isEqualTo(3);
    assertThat(r.metrics().getOrNaN("examples")).isEqualTo(100);
  }

  @Test
  void plainAverage_ignoresExampleCounts() {
    Aggregation agg = FedAvg.plainAverage().beginAggregation(1, params(0, 0, 0));
    agg.accept(new ClientId("a"), result(params(1, -1, 10), 10, 0.9));
    agg.accept(new ClientId("b"), result(params(2, 0, 20), 30, 0.6));
    agg.accept(new ClientId("c"), result(params(4, 1, 30), 60, 0.3));
    ParameterSet p = agg.finish(List.of()).parameters();
    assertThat(p.get("w").data()).containsExactly(new float[] {7f / 3, 0f}, org.assertj.core.data.Offset.offset(1e-5f));
    assertThat(p.get("b").data()[0]).isCloseTo(20f, org.assertj.core.data.Offset.offset(1e-4f));
  }

  @Test
  void finish_allClientsFailed_returnsGlobal() {
    ParameterSet global = params(1, 2, 3);
    AggregateResult r = new FedAvg().beginAggregation(2, global)
        .finish(List.of(new ClientFailure(new ClientId("a"), ErrorCode.UNAVAILABLE, "dropped")));
    assertThat(r.parameters()).isSameAs(global);
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isZero();
  }

  @Test
  void fedProx_setsProximalMuInClientConfig() {
    FedProx s = new FedProx(0.25);
    TrainConfig c = s.configureTrain(4, new ClientId("a"), TrainConfig.builder().round(4).seed(7).build());
    assertThat(c.proximalMu()).isEqualTo(0.25);
    assertThat(c.seed()).isEqualTo(7);
    assertThat(s.describe()).contains("FedProx(mu=0.25)").contains("FedAvg");
  }

  @Test
  void validator_nanUpdate_rejectedWithClientAndIndex() {
    ParameterSet global = params(0, 0, 0);
    TrainResult bad = result(params(1, Float.NaN, 0), 5, 0.1);
    assertThatThrownBy(() -> UpdateValidator.validate(global, new ClientId("c7"), bad))
        .isInstanceOf(FlException.class)
        .hasMessageContaining("c7").hasMessageContaining("tensor w").hasMessageContaining("index 1")
        .extracting(e -> ((FlException) e).code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
  }

  @Test
  void validator_wrongShape_rejected() {
    ParameterSet global = params(0, 0, 0);
    ParameterSet wrong = ParameterSet.of(Tensor.of("w", new float[3], 3), Tensor.of("b", new float[1], 1));
    assertThatThrownBy(() -> UpdateValidator.validate(global, new ClientId("c2"), result(wrong, 5, 0.1)))
        .isInstanceOf(FlException.class).hasMessageContaining("client c2").hasMessageContaining("w[3]");
  }

  @Test
  void parse_specs_buildMatchingStrategies() {
    assertThat(Strategies.parse("fedavg").describe()).isEqualTo("FedAvg(weighting=examples)");
    assertThat(Strategies.parse("avg").describe()).isEqualTo("Average(weighting=uniform)");
    assertThat(((FedProx) Strategies.parse("fedprox:0.01")).mu()).isEqualTo(0.01);
    assertThatThrownBy(() -> Strategies.parse("fedsgd")).hasMessageContaining("fedavg | avg | fedprox:MU");
    assertThat(Strategies.parse("fedadam:0.01").describe()).startsWith("FedAdam(eta=0.01,");
    assertThat(Strategies.parse("fedavgm:1,0.5").describe()).startsWith("FedAvgM(eta=1.0,beta=0.5)");
    assertThat(Strategies.parse("scaffold").describe()).isEqualTo("Scaffold(eta_g=1.0)");
    assertThat(Strategies.parse("fednova")).isInstanceOf(FedNova.class);
    assertThat(Strategies.parse("multikrum:2,5").requiredInput()).isEqualTo(AggregationInput.INDIVIDUAL_UPDATES);
    assertThatThrownBy(() -> Strategies.parse("fedavg:3")).hasMessageContaining("takes no parameter");
    assertThatThrownBy(() -> Strategies.parse("fedprox:x")).hasMessageContaining("fedprox:x");
  }

  @Test
  void weightedMetrics_commonKeysOnly() {
    Metrics m = WeightedMetrics.mean(List.of(
        Metrics.builder().put("loss", 1).put("accuracy", 0.5).build(),
        Metrics.builder().put("loss", 3).build()), new double[] {1, 3});
    assertThat(m.asMap()).containsOnlyKeys("loss");
    assertThat(m.getOrNaN("loss")).isEqualTo(2.5);
  }
}
