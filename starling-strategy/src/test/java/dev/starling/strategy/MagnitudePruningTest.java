package dev.starling.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class MagnitudePruningTest {
  @Test
  void finish_zeroesSmallestWeightsKeepsBiases() {
    ParameterSet g = ParameterSet.of(Tensor.zeros("w", 2, 4), Tensor.zeros("b", 2));
    ParameterSet u = ParameterSet.of(Tensor.of("w", new float[] {0.5f, -3, 0.1f, 2, -0.2f, 1, 0.1f, -4}, 2, 4),
        Tensor.of("b", new float[] {0.01f, -0.02f}, 2));
    Aggregation agg = new MagnitudePruning(new FedAvg(), 0.5, 1).beginAggregation(1, g);
    agg.accept(ClientId.ofIndex(0), new TrainResult(u, 1, 1, Metrics.of(Metrics.LOSS, 1)));
    AggregateResult r = agg.finish(List.of());
    // 4 of 8 weights pruned: 0.1, 0.1 (tie), -0.2, 0.5
    assertThat(r.parameters().get("w").data()).containsExactly(0, -3, 0, 2, 0, 1, 0, -4);
    assertThat(r.parameters().get("b").data()).containsExactly(0.01f, -0.02f);
    assertThat(r.metrics().getOrNaN("sparsity")).isEqualTo(0.5);
  }

  @Test
  void schedule_rampsCubicallyToTheTarget() {
    MagnitudePruning p = new MagnitudePruning(new FedAvg(), 0.8, 10);
    assertThat(p.sparsityAt(0)).isZero();
    assertThat(p.sparsityAt(5)).isCloseTo(0.8 * (1 - 0.125), Offset.offset(1e-12));
    assertThat(p.sparsityAt(10)).isEqualTo(0.8);
    assertThat(p.sparsityAt(50)).isEqualTo(0.8);
  }

  @Test
  void prune_tiesAtTheThreshold_exactCount() {
    float[] w = {1, 1, 1, 1, 2};
    MagnitudePruning.prune(w, 2);
    assertThat(w).containsExactly(0, 0, 1, 1, 2);
  }
}
