package dev.starling.strategy.robust;

import static dev.starling.strategy.robust.Rounds.aggregate;
import static dev.starling.strategy.robust.Rounds.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.ClientVerdict.Action;
import dev.starling.strategy.RoundPlan;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class CoordinateMedianTest {
  static final float[][] FIVE = {
      {1, 10, -3}, {2, 20, -1}, {3, 30, 0}, {4, 40, 2}, {100, -50, 7}};

  @Test
  void aggregate_fiveClients_matchesHandComputedMedian() {
    // sorted columns: [1,2,3,4,100] -> 3 (c2); [-50,10,20,30,40] -> 20 (c1); [-3,-1,0,2,7] -> 0 (c2)
    AggregateResult r = aggregate(new CoordinateMedian(), params(0, 0, 0), FIVE);
    assertThat(r.parameters().get("w").data()).containsExactly(3f, 20f);
    assertThat(r.parameters().get("b").data()).containsExactly(0f);
    // kept coordinates: c0 0, c1 1, c2 2, c3 0, c4 0 of 3; mean keep rate 3/15 = 0.2, so a keep rate
    // below 0.1 flags: c0, c3, c4 (c1 at 1/3 is kept more often than the average client)
    assertThat(Rounds.clients(r.verdicts(), Action.DOWNWEIGHTED)).containsExactly(0, 3, 4);
    assertThat(r.verdicts()).extracting(ClientVerdict::weight).containsExactly(0.0, 0.0, 0.0);
    assertThat(r.verdicts()).extracting(ClientVerdict::rule).containsOnly("CoordinateMedian");
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isEqualTo(5);
    assertThat(r.metrics().getOrNaN("clients_downweighted")).isEqualTo(3);
    assertThat(r.metrics().getOrNaN("train_loss")).isEqualTo(0.5);
  }

  @Test
  void aggregate_evenClients_averagesTwoMiddleValues() {
    // [1,2,3,4] -> 2.5; [10,20,30,40] -> 25; [-3,-1,0,2] -> -0.5
    AggregateResult r = aggregate(new CoordinateMedian(), params(0, 0, 0), FIVE[0], FIVE[1], FIVE[2], FIVE[3]);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {2.5f, 25f, -0.5f}, Offset.offset(1e-6f));
  }

  @Test
  void prepare_twoClientsPerRound_refusedNamingRequirement() {
    assertThatThrownBy(() -> new CoordinateMedian().prepare(new RoundPlan(2, 10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("f < n/2").hasMessageContaining("at least 3").hasMessageContaining("got 2")
        .hasMessageContaining("--min-clients");
  }

  @Test
  void prepare_threeClientsPerRound_accepted() {
    new CoordinateMedian().prepare(new RoundPlan(3, 3));
  }

  @Test
  void finish_dropOutsLeaveTwoUpdates_keepsGlobalAndReportsRefusal() {
    ParameterSet global = params(9, 9, 9);
    AggregateResult r = aggregate(new CoordinateMedian(), global, FIVE[0], FIVE[1]);
    assertThat(r.parameters()).isSameAs(global);
    assertThat(r.metrics().getOrNaN("aggregation_refused")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("clients_received")).isEqualTo(2);
    assertThat(r.metrics().getOrNaN("clients_needed")).isEqualTo(3);
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isZero();
    assertThat(r.verdicts()).isEmpty();
  }

  @Test
  void requiredInput_isIndividualUpdates() {
    assertThat(new CoordinateMedian().requiredInput()).isEqualTo(AggregationInput.INDIVIDUAL_UPDATES);
  }
}
