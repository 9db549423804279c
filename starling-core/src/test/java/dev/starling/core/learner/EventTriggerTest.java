package dev.starling.core.learner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

class EventTriggerTest {
  private static final TrainConfig CONFIG = TrainConfig.builder().localEpochs(1).batchSize(1).learningRate(0.1).build();

  /** A learner that moves the first weight by {@code step}. */
  private static TrainInterceptor.Trainer step(float step) {
    return (g, c) -> {
      float[] w = g.get("w").data().clone();
      w[0] += step;
      return new TrainResult(ParameterSet.of(Tensor.of("w", w, 2)), 10, 1, Metrics.of(Metrics.LOSS, 0.5));
    };
  }

  @Test
  void smallChanges_accumulateSinceTheLastUpload_untilTheyCrossTheThreshold_thenTheSumIsUploaded() {
    EventTrigger trigger = new EventTrigger(0.1); // ||x|| = 5: uploads once the accumulated change reaches 0.5
    ClientState state = new ClientState();
    ParameterSet x = ParameterSet.of(Tensor.of("w", new float[] {3, 4}, 2));
    TrainResult first = trigger.fit(x, CONFIG, state, step(0.2f));
    TrainResult second = trigger.fit(x, CONFIG, state, step(0.2f));
    assertThat(EventTrigger.skipped(first)).isTrue();
    assertThat(EventTrigger.skipped(second)).isTrue();
    assertThat(first.parameters().count()).isZero();
    assertThat(first.metrics().getOrNaN(Metrics.LOSS)).isEqualTo(0.5);
    // a per-job test would skip this 0.2 step for ever; accumulated, 0.2 + 0.2 + 0.2 = 0.6 >= 0.5 is sent
    TrainResult third = trigger.fit(x, CONFIG, state, step(0.2f));
    assertThat(EventTrigger.skipped(third)).isFalse();
    assertThat(third.parameters().get("w").data()[0]).isCloseTo(3.6f, org.assertj.core.api.Assertions.within(1e-5f));
    assertThat(third.parameters().get("w").data()[1]).isEqualTo(4f);
    assertThat(third.numExamples()).isEqualTo(10);
    // after an upload the client starts from zero again
    assertThat(EventTrigger.skipped(trigger.fit(x, CONFIG, state, step(0.2f)))).isTrue();
  }

  @Test
  void aChangeAboveTheThreshold_isUploadedAsTrained() {
    EventTrigger trigger = new EventTrigger(0.1);
    ClientState state = new ClientState();
    ParameterSet x = ParameterSet.of(Tensor.of("w", new float[] {3, 4}, 2));
    TrainResult r = trigger.fit(x, CONFIG, state, step(1f));
    assertThat(EventTrigger.skipped(r)).isFalse();
    assertThat(r.parameters().get("w").data()).containsExactly(4f, 4f);
    assertThat(state.get(EventTrigger.RESIDUAL).orElseThrow().names()).isEqualTo(java.util.Set.of());
    assertThat(r.metrics().get(EventTrigger.SKIPPED)).isEmpty();
  }
}
