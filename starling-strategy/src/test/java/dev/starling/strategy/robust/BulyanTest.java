package dev.starling.strategy.robust;

import static dev.starling.strategy.robust.Rounds.aggregate;
import static dev.starling.strategy.robust.Rounds.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.ClientVerdict.Action;
import dev.starling.strategy.RoundPlan;
import java.util.Arrays;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class BulyanTest {
  /*
   * f = 1, n = 7: theta = 5 selected by iterated Krum, beta = 3 kept per coordinate. Neighbours counted:
   * max(1, |R| - f - 2) = 4, 3, 2, 1, 1. Scores (squared distances):
   *   R = all:         c0 91, c1 64, c2 47, c3 82, c4 112, c5 39842, c6 12571 -> c2
   *   R = {0,1,3,4,5,6}: c0 87, c1 63, c3 65, c4 87, ...                      -> c1
   *   R = {0,3,4,5,6}:   c0 86, c3 39, c4 51, c5 19837, c6 5726               -> c3
   *   R = {0,4,5,6}:     c0 49, c4 49, c5 10000, c6 2809                      -> c0 (tie: earlier)
   *   R = {4,5,6}:       c4 2809, c5 10049, c6 2809                           -> c4 (tie: earlier)
   * Selected {c0..c4}. Coordinate 0: [0,1,2,6,7], median 2, closest three {0,1,2} -> 1.
   * Coordinate 1: [0,0,0,0,1] -> 0. (The plain mean of the honest clients would be [3.2, 0.2].)
   */
  static final float[][] SEVEN = {{0, 0}, {1, 0}, {2, 0}, {6, 1}, {7, 0}, {0, 100}, {60, 0}};

  @Test
  void aggregate_sevenClients_matchesHandComputedBulyan() {
    AggregateResult r = aggregate(new Bulyan(1), params(0, 0), SEVEN);
    assertThat(r.parameters().flatten()).containsExactly(new float[] {1f, 0f}, Offset.offset(1e-6f));
    assertThat(Rounds.clients(r.verdicts(), Action.REJECTED)).containsExactly(5, 6);
    assertThat(r.metrics().getOrNaN("bulyan_selected")).isEqualTo(5);
    assertThat(r.metrics().getOrNaN("bulyan_kept_per_coordinate")).isEqualTo(3);
    assertThat(r.metrics().getOrNaN("clients_rejected")).isEqualTo(2);
  }

  @Test
  void prepare_belowFourFPlusThree_refusedWithActionableMessage() {
    assertThatThrownBy(() -> new Bulyan(2).prepare(new RoundPlan(10, 30)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("Bulyan with f=2 needs at least 4f+3 = 11 clients per round; got 10 "
            + "(raise --fraction or --min-clients, or lower f)");
  }

  @Test
  void prepare_atBoundary_accepted() {
    new Bulyan(2).prepare(new RoundPlan(11, 11));
    new Bulyan(1).prepare(new RoundPlan(7, 7));
  }

  @Test
  void finish_dropOutsBelowFourFPlusThree_keepsGlobalAndReportsRefusal() {
    ParameterSet global = params(5, 5);
    AggregateResult r = aggregate(new Bulyan(1), global, Arrays.copyOf(SEVEN, 6));
    assertThat(r.parameters()).isSameAs(global);
    assertThat(r.metrics().getOrNaN("aggregation_refused")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("clients_needed")).isEqualTo(7);
  }
}
