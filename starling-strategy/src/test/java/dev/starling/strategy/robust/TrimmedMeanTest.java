package dev.starling.strategy.robust;

import static dev.starling.strategy.robust.Rounds.aggregate;
import static dev.starling.strategy.robust.Rounds.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.ClientVerdict.Action;
import dev.starling.strategy.RoundPlan;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class TrimmedMeanTest {
  private static final float[][] FIVE = CoordinateMedianTest.FIVE;

  @Test
  void aggregate_fiveClientsBetaPoint2_matchesHandComputedTrimmedMean() {
    // k = floor(0.2 * 5) = 1 per side: mean(2,3,4) = 3; mean(10,20,30) = 20; mean(-1,0,2) = 1/3
    AggregateResult r = aggregate(new TrimmedMean(0.2), params(0, 0, 0), FIVE);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {3f, 20f, 1f / 3}, Offset.offset(1e-6f));
    // kept: c0 1 (coord 1), c1 3, c2 3, c3 2, c4 0 of 3; mean keep rate 9/15 = 0.6, so only c4
    // (rate 0 < 0.3) flags; c0 (1/3) is kept more than half as often as the average client
    assertThat(Rounds.clients(r.verdicts(), Action.DOWNWEIGHTED)).containsExactly(4);
    assertThat(r.verdicts()).extracting(ClientVerdict::weight).containsExactly(0.0);
    assertThat(r.verdicts()).extracting(ClientVerdict::rule).containsOnly("TrimmedMean(beta=0.2)");
    assertThat(r.metrics().getOrNaN("trimmed_per_side")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isEqualTo(5);
  }

  @Test
  void aggregate_betaZero_isPlainCoordinateMeanWithoutVerdicts() {
    AggregateResult r = aggregate(new TrimmedMean(0), params(0, 0, 0), FIVE);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {22f, 10f, 1f}, Offset.offset(1e-5f));
    assertThat(r.verdicts()).isEmpty();
  }

  @Test
  void trimCount_productJustBelowInteger_roundsToTheInteger() {
    assertThat(0.29 * 100).isLessThan(29);
    assertThat(new TrimmedMean(0.29).trimCount(100)).isEqualTo(29);
    assertThat(new TrimmedMean(0.3).minClients()).isEqualTo(4);
    assertThat(new TrimmedMean(0.1).minClients()).isEqualTo(10);
    assertThat(new TrimmedMean(0).minClients()).isEqualTo(1);
  }

  @Test
  void prepare_trimsNothingAtPlannedSize_refusedNamingRequirement() {
    assertThatThrownBy(() -> new TrimmedMean(0.1).prepare(new RoundPlan(9, 20)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("TrimmedMean(beta=0.1) trims floor(beta*n) values per side and so needs floor(beta*n) >= 1, "
            + "i.e. at least 10 clients per round; got 9 (raise --fraction or --min-clients, or raise beta)");
  }

  @Test
  void prepare_boundaryAndBetaZero_accepted() {
    new TrimmedMean(0.1).prepare(new RoundPlan(10, 20));
    new TrimmedMean(0).prepare(new RoundPlan(1, 1));
  }

  @Test
  void constructor_betaOutOfRange_rejected() {
    assertThatThrownBy(() -> new TrimmedMean(0.5)).hasMessageContaining("beta must be in [0, 0.5)");
    assertThatThrownBy(() -> new TrimmedMean(-0.1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void finish_dropOutsLeaveTooFewToTrim_keepsGlobalAndReportsRefusal() {
    TrimmedMean s = new TrimmedMean(0.2);
    s.prepare(new RoundPlan(5, 5));
    ParameterSet global = params(9, 9, 9);
    AggregateResult r = aggregate(s, global, FIVE[0], FIVE[1], FIVE[2], FIVE[3]);
    assertThat(r.parameters()).isSameAs(global);
    assertThat(r.metrics().getOrNaN("aggregation_refused")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("clients_needed")).isEqualTo(5);
  }
}
