package dev.starling.strategy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.List;
import org.assertj.core.data.Offset;
import org.junit.jupiter.api.Test;

class PositionwiseFedAvgTest {
  private static ParameterSet p(float... v) {
    return ParameterSet.of(Tensor.of("w", v, v.length));
  }

  private static TrainResult result(ParameterSet w, long n, ParameterSet mask) {
    Attachments a = mask == null ? Attachments.none() : Attachments.none().with(AttachmentKey.TRAINED_MASK, mask);
    return new TrainResult(w, n, 1, Metrics.of(Metrics.LOSS, 1), a);
  }

  @Test
  void aggregate_eachCoordinateOverTheClientsThatTrainedIt() {
    // A (n=1) trained coordinates 0,1; B (n=3) trained 1,2; nobody trained 3:
    // w0 = 1; w1 = (1*2 + 3*6) / 4 = 5; w2 = 7; w3 = global 9
    Aggregation agg = new PositionwiseFedAvg().beginAggregation(1, p(0, 0, 0, 9));
    agg.accept(ClientId.ofIndex(0), result(p(1, 2, 3, 4), 1, p(1, 1, 0, 0)));
    agg.accept(ClientId.ofIndex(1), result(p(5, 6, 7, 8), 3, p(0, 1, 1, 0)));
    AggregateResult r = agg.finish(List.of());
    assertThat(r.parameters().flatten()).containsExactly(1f, 5f, 7f, 9f);
    assertThat(r.metrics().getOrNaN("coordinates_trained")).isEqualTo(0.75);
    assertThat(r.metrics().getOrNaN("mean_trained_fraction")).isEqualTo(0.5);
  }

  @Test
  void aggregate_withoutMasks_isFedAvg() {
    ParameterSet g = p(0, 0, 0);
    Aggregation a = new PositionwiseFedAvg().beginAggregation(1, g);
    Aggregation b = new FedAvg().beginAggregation(1, g);
    for (Aggregation agg : List.of(a, b)) {
      agg.accept(ClientId.ofIndex(0), result(p(1, 2, 3), 2, null));
      agg.accept(ClientId.ofIndex(1), result(p(4, 0, -3), 1, null));
    }
    assertThat(a.finish(List.of()).parameters().flatten())
        .containsExactly(b.finish(List.of()).parameters().flatten(), Offset.offset(1e-6f));
  }

  @Test
  void accept_badMask_refusedNamingTheClientAndNothingFolded() {
    Aggregation agg = new PositionwiseFedAvg().beginAggregation(1, p(0, 0));
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () -> agg.accept(ClientId.ofIndex(3), result(p(5, 5), 1, p(1, 0.5f))))
        .hasMessageContaining(ClientId.ofIndex(3).toString()).hasMessageContaining("expected 0 or 1");
    agg.accept(ClientId.ofIndex(0), result(p(2, 4), 1, p(1, 1)));
    assertThat(agg.finish(List.of()).parameters().flatten()).containsExactly(2f, 4f);
  }
}
