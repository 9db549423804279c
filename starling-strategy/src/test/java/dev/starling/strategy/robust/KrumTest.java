package dev.starling.strategy.robust;

import static dev.starling.strategy.robust.Rounds.aggregate;
import static dev.starling.strategy.robust.Rounds.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.ClientVerdict.Action;
import dev.starling.strategy.RoundPlan;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

/** Krum and Multi-Krum on hand-computed cases, their plan checks and drop-out handling. */
class KrumTest {
  // Squared distances: d01=1 d02=1 d03=4 d04=300 d12=2 d13=5 d14=281 d23=5 d24=281 d34=264.
  // f=1, n=5: scores over n-f-2 = 2 nearest: c0 1+1=2, c1 1+2=3, c2 1+2=3, c3 4+5=9, c4 264+281=545.
  static final float[][] FIVE = {{1, 2, 3}, {2, 2, 3}, {1, 3, 3}, {1, 2, 5}, {11, 12, 13}};

  @Test
  void krum_fiveClients_picksLowestScoreAndRejectsTheRest() {
    Aggregation agg = new Krum(1).beginAggregation(1, params(0, 0, 0));
    for (int i = 0; i < FIVE.length; i++) {
      agg.accept(ClientId.ofIndex(i), Rounds.result(params(FIVE[i]), 10 * (i + 1), 0.1 * (i + 1)));
    }
    AggregateResult r = agg.finish(List.of());
    assertThat(r.parameters().flatten()).containsExactly(1f, 2f, 3f);
    assertThat(Rounds.clients(r.verdicts(), Action.REJECTED)).containsExactly(1, 2, 3, 4);
    assertThat(r.verdicts()).extracting(ClientVerdict::weight).containsOnly(0.0);
    assertThat(r.verdicts()).extracting(ClientVerdict::rule).containsOnly("Krum(f=1)");
    assertThat(r.metrics().getOrNaN("krum_selected")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("clients_rejected")).isEqualTo(4);
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isEqualTo(5);
    assertThat(r.metrics().getOrNaN("train_loss")).isCloseTo(0.1, Offset.offset(1e-12)); // the selected c0 only
    assertThat(r.metrics().getOrNaN("examples")).isEqualTo(10);
  }

  @Test
  void multiKrum_mThree_averagesThreeLowestScores() {
    // c0, c1, c2: mean([1,2,3],[2,2,3],[1,3,3]) = [4/3, 7/3, 3]
    AggregateResult r = aggregate(new MultiKrum(1, 3), params(0, 0, 0), FIVE);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {4f / 3, 7f / 3, 3f}, Offset.offset(1e-6f));
    assertThat(Rounds.clients(r.verdicts(), Action.REJECTED)).containsExactly(3, 4);
    assertThat(r.metrics().getOrNaN("krum_selected")).isEqualTo(3);
  }

  @Test
  void multiKrum_defaultM_averagesNMinusF() {
    // m = 5 - 1 = 4: c0..c3 -> [5/4, 9/4, 14/4]; the outlier c4 is rejected
    AggregateResult r = aggregate(new MultiKrum(1), params(0, 0, 0), FIVE);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {1.25f, 2.25f, 3.5f}, Offset.offset(1e-6f));
    assertThat(Rounds.clients(r.verdicts(), Action.REJECTED)).containsExactly(4);
    assertThat(r.verdicts()).extracting(ClientVerdict::rule).containsOnly("MultiKrum(f=1,m=n-f)");
  }

  @Test
  void multiKrum_dropOutsBelowMPlusF_averagesNMinusF() {
    AggregateResult r = aggregate(new MultiKrum(1, 5), params(0, 0, 0), FIVE);
    assertThat(r.metrics().getOrNaN("krum_selected")).isEqualTo(4);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {1.25f, 2.25f, 3.5f}, Offset.offset(1e-6f));
  }

  @Test
  void prepare_krumBelowTwoFPlusThree_refusedWithActionableMessage() {
    assertThatThrownBy(() -> new Krum(2).prepare(new RoundPlan(6, 20)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Krum with f=2 needs at least 2f+3 = 7 clients per round; got 6 "
            + "(raise --fraction or --min-clients, or lower f)");
  }

  @Test
  void prepare_krumAtBoundary_accepted() {
    new Krum(2).prepare(new RoundPlan(7, 7));
    new MultiKrum(2).prepare(new RoundPlan(7, 7));
  }

  @Test
  void prepare_multiKrumWithMLeavingNoRoomForF_refused() {
    assertThatThrownBy(() -> new MultiKrum(1, 5).prepare(new RoundPlan(5, 10)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("MultiKrum with f=1 and m=5 needs at least m+f = 6 clients per round; got 5 "
            + "(raise --fraction or --min-clients, or lower m or f)");
    new MultiKrum(1, 5).prepare(new RoundPlan(6, 10));
  }

  @Test
  void prepare_multiKrumBelowTwoFPlusThree_refused() {
    assertThatThrownBy(() -> new MultiKrum(2).prepare(new RoundPlan(6, 10)))
        .hasMessageContaining("MultiKrum with f=2 needs at least 2f+3 = 7").hasMessageContaining("got 6");
  }

  @Test
  void finish_dropOutsBelowTwoFPlusThree_keepsGlobalAndReportsRefusal() {
    Krum krum = new Krum(1);
    krum.prepare(new RoundPlan(5, 5));
    ParameterSet global = params(7, 7, 7);
    AggregateResult r = aggregate(krum, global, FIVE[0], FIVE[1], FIVE[2], FIVE[3]);
    assertThat(r.parameters()).isSameAs(global);
    assertThat(r.metrics().getOrNaN("aggregation_refused")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("clients_needed")).isEqualTo(5);
    assertThat(r.verdicts()).isEmpty();
    AggregateResult m = aggregate(new MultiKrum(1), global, FIVE[0], FIVE[1], FIVE[2], FIVE[3]);
    assertThat(m.parameters()).isSameAs(global);
    assertThat(m.metrics().getOrNaN("aggregation_refused")).isEqualTo(1);
  }

  @Test
  void constructor_negativeFOrNonPositiveM_rejected() {
    assertThatThrownBy(() -> new Krum(-1)).hasMessageContaining("f must be >= 0");
    assertThatThrownBy(() -> new MultiKrum(1, 0)).hasMessageContaining("m must be > 0");
  }
}
