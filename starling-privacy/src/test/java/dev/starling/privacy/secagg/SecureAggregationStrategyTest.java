package dev.starling.privacy.secagg;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategies;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SecureAggregationStrategyTest {
  private static ParameterSet vec(float... v) {
    return ParameterSet.of(Tensor.of("w", v, v.length));
  }

  @Test
  void constructor_robustRules_refusedWithReasonAndAlternative() {
    for (String rule : List.of("krum:1", "median", "trimmed:0.1", "normbound:1")) {
      assertThatThrownBy(() -> new SecureAggregationStrategy(Strategies.parse(rule), 0.3, 8))
          .as(rule).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("only the sum").hasMessageContaining("fedavg").hasMessageContaining("--dp local");
    }
  }

  private static AggregateResult round(SecureAggregationStrategy s, int clients, int dropped) {
    for (int i = 0; i < clients; i++) {
      s.configureTrain(1, ClientId.ofIndex(i), TrainConfig.builder().build());
    }
    ParameterSet global = vec(1, 1);
    Aggregation a = s.beginAggregation(1, global);
    List<ClientFailure> failures = new ArrayList<>();
    for (int i = 0; i < clients; i++) {
      if (i < dropped) {
        failures.add(new ClientFailure(ClientId.ofIndex(i), ErrorCode.UNAVAILABLE, "gone"));
      } else {
        a.accept(ClientId.ofIndex(i), new TrainResult(vec(1 + i, 1 - i * 0.1f), 5, 1, Metrics.of(Metrics.LOSS, 1)));
      }
    }
    return a.finish(failures);
  }

  @Test
  void aggregate_withToleratedDropouts_isTheMeanOfTheSurvivors() {
    SecureAggregationStrategy s = new SecureAggregationStrategy(new FedAvg(), 0.3, 10);
    s.prepare(new RoundPlan(10, 10));
    AggregateResult r = round(s, 10, 3);
    float[] w = r.parameters().get("w").data();
    assertThat(w[0]).isCloseTo(1 + (3 + 4 + 5 + 6 + 7 + 8 + 9) / 7f, within(1e-5f));
    assertThat(w[1]).isCloseTo(1 - 0.1f * (3 + 4 + 5 + 6 + 7 + 8 + 9) / 7f, within(1e-5f));
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isEqualTo(7);
  }

  @Test
  void secAggPlus_sparseGraph_sameMeanWithFewerShareBytes() {
    SecureAggregationStrategy plus = new SecureAggregationStrategy(new FedAvg(), 0.3, 20, 4);
    SecureAggregationStrategy full = new SecureAggregationStrategy(new FedAvg(), 0.3, 20);
    plus.prepare(new RoundPlan(12, 12));
    full.prepare(new RoundPlan(12, 12));
    AggregateResult p = round(plus, 12, 1);
    AggregateResult f = round(full, 12, 1);
    float survivors = 0;
    for (int i = 1; i < 12; i++) {
      survivors += i;
    }
    assertThat(p.parameters().get("w").data()[0]).isCloseTo(1 + survivors / 11f, within(1e-5f));
    assertThat(p.parameters().get("w").data()[1]).isCloseTo(1 - 0.1f * survivors / 11f, within(1e-5f));
    assertThat(p.metrics().getOrNaN("clients_aggregated")).isEqualTo(11);
    // each client shares with 4 neighbours instead of 11 others
    assertThat(p.metrics().getOrNaN("secagg_bytes_up")).isLessThan(f.metrics().getOrNaN("secagg_bytes_up"));
    assertThat(plus.describe()).contains("SecAgg+ 4 neighbours");
  }

  @Test
  void secAggSpec_parsesNeighboursAndNamesTheFlag() {
    assertThat(SecAggSpec.parse("0.3", "--secagg")).isEqualTo(new SecAggSpec(0.3, 8.0, 0));
    assertThat(SecAggSpec.parse("0.3,4,6", "--secagg")).isEqualTo(new SecAggSpec(0.3, 4.0, 6));
    assertThatThrownBy(() -> SecAggSpec.parse("0.3,4,5", "--secagg")).hasMessageContaining("--secagg")
        .hasMessageContaining("even").hasMessageContaining("5");
    assertThatThrownBy(() -> SecAggSpec.parse("0.3,4,6,1", "config 'secagg'")).hasMessageContaining("config 'secagg'")
        .hasMessageContaining(SecAggSpec.FORM);
  }

  @Test
  void aggregate_moreDropoutsThanTolerated_keepsTheModel() {
    SecureAggregationStrategy s = new SecureAggregationStrategy(new FedAvg(), 0.1, 10);
    s.prepare(new RoundPlan(10, 10));
    AggregateResult r = round(s, 10, 4);
    assertThat(r.parameters()).isEqualTo(vec(1, 1));
    assertThat(r.metrics().getOrNaN("secagg_unmask_failed")).isEqualTo(1);
  }

  @Test
  void centralDpOverSecAgg_clientsClipAndServerNoisesTheSum() {
    dev.starling.privacy.dp.CentralDpConfig dp = dev.starling.privacy.dp.CentralDpConfig.fixed(1.0, 1e-12);
    SecureAggregationStrategy s = new SecureAggregationStrategy(new FedAvg(), 0.3, 10, dp,
        dev.starling.core.random.RandomSource.seeded(1));
    s.prepare(new RoundPlan(6, 12));
    // The client half clips: an update of norm 5 leaves the client with norm 1.
    ParameterSet global = vec(1, 1);
    TrainResult clipped = dev.starling.core.learner.TrainInterceptor.run(s.clientInterceptors(), global,
        TrainConfig.builder().build(), new dev.starling.core.learner.ClientState(),
        (g, c) -> new TrainResult(vec(4, 5), 1, 1, Metrics.empty()));
    assertThat(clipped.parameters().get("w").data()).containsExactly(1.6f, 1.8f);
    for (int i = 0; i < 6; i++) {
      s.configureTrain(1, ClientId.ofIndex(i), TrainConfig.builder().build());
    }
    Aggregation a = s.beginAggregation(1, global);
    for (int i = 0; i < 5; i++) {
      a.accept(ClientId.ofIndex(i), new TrainResult(vec(1.6f, 1.8f), 5, 1, Metrics.empty()));
    }
    AggregateResult r = a.finish(List.of(new ClientFailure(ClientId.ofIndex(5), ErrorCode.UNAVAILABLE, "gone")));
    // Fixed denominator: 5 clipped updates / 6 planned clients.
    assertThat(r.metrics().getOrNaN("secagg_unmask_failed")).isNaN();
    assertThat(r.parameters().get("w").data()[0]).isCloseTo(1 + 5 * 0.6f / 6, within(1e-5f));
    assertThat(r.metrics().getOrNaN("epsilon")).isPositive();
    assertThatThrownBy(() -> new SecureAggregationStrategy(new FedAvg(), 0.3, 10,
        dev.starling.privacy.dp.CentralDpConfig.adaptive(0.5, 1), dev.starling.core.random.RandomSource.seeded(1)))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("fixed clipping");
  }

  @Test
  void centralDpOverSecAgg_unmaskFailure_stillReleasesOnlyNoiseAndCharges() {
    SecureAggregationStrategy s = new SecureAggregationStrategy(new FedAvg(), 0.1, 10,
        dev.starling.privacy.dp.CentralDpConfig.fixed(1.0, 1.0), dev.starling.core.random.RandomSource.seeded(2));
    s.prepare(new RoundPlan(10, 10));
    AggregateResult r = round(s, 10, 4);
    assertThat(r.metrics().getOrNaN("secagg_unmask_failed")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isZero();
    assertThat(r.metrics().getOrNaN("epsilon")).isPositive();
    assertThat(r.parameters()).isNotEqualTo(vec(1, 1));
  }
}
