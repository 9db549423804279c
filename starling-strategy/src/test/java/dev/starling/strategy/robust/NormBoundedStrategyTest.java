package dev.starling.strategy.robust;

import static dev.starling.strategy.robust.Rounds.params;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ClientVerdict;
import dev.starling.strategy.ClientVerdict.Action;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import java.util.ArrayList;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class NormBoundedStrategyTest {
  /** A delegate that records what it is given and returns the global model. */
  private static final class Recording implements Strategy {
    final List<TrainResult> seen = new ArrayList<>();

    @Override
    public Aggregation beginAggregation(int round, ParameterSet global) {
      return new Aggregation() {
        @Override
        public void accept(ClientId client, TrainResult result) {
          seen.add(result);
        }

        @Override
        public AggregateResult finish(List<ClientFailure> failures) {
          return new AggregateResult(global, Metrics.of("delegate", 1),
              List.of(new ClientVerdict(ClientId.ofIndex(9), Action.REJECTED, 0, "Recording")));
        }
      };
    }

    @Override
    public AggregationInput requiredInput() {
      return AggregationInput.SUM_ONLY;
    }

    @Override
    public String describe() {
      return "Recording";
    }
  }

  @Test
  void accept_largeUpdate_clippedToExactlyMaxNormAlongItsDirection() {
    // delta = (30, 40, 0), norm 50; maxNorm 5 -> scale 0.1 -> global + (3, 4, 0)
    Recording rec = new Recording();
    ParameterSet global = params(1, 1, 1);
    ParameterSet update = params(31, 41, 1);
    Aggregation agg = new NormBoundedStrategy(rec, 5).beginAggregation(1, global);
    agg.accept(ClientId.ofIndex(0), Rounds.result(update, 10, 0.5));
    AggregateResult r = agg.finish(List.of());
    float[] got = rec.seen.get(0).parameters().flatten();
    assertThat(got).containsExactly(new float[] {4, 5, 1}, Offset.offset(1e-6f));
    assertThat(Rounds.l2Diff(got, global.flatten())).isCloseTo(5.0, Offset.offset(1e-6));
    assertThat(rec.seen.get(0).numExamples()).isEqualTo(10);
    assertThat(update.flatten()).containsExactly(31, 41, 1);
    assertThat(r.verdicts()).hasSize(2);
    assertThat(r.verdicts().get(0)).isEqualTo(new ClientVerdict(ClientId.ofIndex(0), Action.CLIPPED, 0.1, "NormBounded(maxNorm=5.0)"));
    assertThat(r.verdicts().get(1).rule()).isEqualTo("Recording");
    assertThat(r.metrics().getOrNaN("clients_clipped")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("delegate")).isEqualTo(1);
  }

  @Test
  void accept_updateWithinBound_passedThroughUntouched() {
    Recording rec = new Recording();
    TrainResult small = Rounds.result(params(4, 5, 1), 10, 0.5); // delta norm exactly 5
    Aggregation agg = new NormBoundedStrategy(rec, 5).beginAggregation(1, params(1, 1, 1));
    agg.accept(ClientId.ofIndex(0), small);
    AggregateResult r = agg.finish(List.of());
    assertThat(rec.seen.get(0)).isSameAs(small);
    assertThat(r.verdicts()).extracting(ClientVerdict::rule).containsExactly("Recording");
    assertThat(r.metrics().getOrNaN("clients_clipped")).isZero();
  }

  @Test
  void aggregate_overFedAvg_averagesClippedAndUnclipped() {
    // global 0; a = (0, 0.5) kept; b = (100, 0) clipped to (1, 0); mean (0.5, 0.25)
    ParameterSet global = params(0, 0);
    Aggregation agg = new NormBoundedStrategy(FedAvg.plainAverage(), 1).beginAggregation(1, global);
    agg.accept(ClientId.ofIndex(0), Rounds.result(params(0, 0.5f), 10, 0.5));
    agg.accept(ClientId.ofIndex(1), Rounds.result(params(100, 0), 10, 0.5));
    AggregateResult r = agg.finish(List.of());
    assertThat(r.parameters().flatten()).containsExactly(new float[] {0.5f, 0.25f}, Offset.offset(1e-6f));
    assertThat(Rounds.clients(r.verdicts(), Action.CLIPPED)).containsExactly(1);
    assertThat(r.verdicts().get(0).weight()).isCloseTo(0.01, Offset.offset(1e-12));
  }

  @Test
  void decorator_forwardsPrepareAndDescribes() {
    NormBoundedStrategy s = new NormBoundedStrategy(new Krum(1), 2.5);
    assertThat(s.describe()).isEqualTo("NormBounded(maxNorm=2.5) <- Krum(f=1)");
    assertThat(s.requiredInput()).isEqualTo(AggregationInput.INDIVIDUAL_UPDATES);
    assertThatThrownBy(() -> s.prepare(new RoundPlan(4, 4))).hasMessageContaining("Krum with f=1");
  }

  @Test
  void constructor_nonPositiveMaxNorm_rejected() {
    assertThatThrownBy(() -> new NormBoundedStrategy(new FedAvg(), 0)).hasMessageContaining("maxNorm must be > 0");
  }
}
