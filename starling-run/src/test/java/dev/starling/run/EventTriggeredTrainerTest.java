package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.EventTrigger;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.client.Trainer;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The client runtime's event-triggered trainer: a change below the threshold is a skip, the held-back change
 * is part of the trainer's saved state (beside the inner trainer's own), and a client restarted from that state
 * uploads the change it had accumulated before the restart plus the new one.
 */
class EventTriggeredTrainerTest {
  private static ParameterSet w(float... v) {
    return ParameterSet.of(List.of(Tensor.of("w", v, new int[] {v.length})));
  }

  /** Adds 0.3 to every coordinate; keeps one state tensor of its own ("inner/n", like a control variate). */
  private static final class Stepper implements Trainer {
    ParameterSet own = ParameterSet.of(List.of(Tensor.of("inner/n", new float[] {7}, new int[] {1})));

    @Override
    public TrainResult fit(ParameterSet global, TrainConfig config) {
      float[] x = global.get("w").data();
      float[] y = new float[x.length];
      for (int i = 0; i < x.length; i++) {
        y[i] = x[i] + 0.3f;
      }
      return new TrainResult(w(y), 10, 1, Metrics.of(Metrics.LOSS, 0.25));
    }

    @Override
    public EvalResult evaluate(ParameterSet global) {
      return new EvalResult(0, Metrics.empty());
    }

    @Override
    public ParameterSet saveState() {
      return own;
    }

    @Override
    public void restoreState(ParameterSet state) {
      own = state;
    }
  }

  @Test
  void smallChangeIsASkip_heldBackChangeSurvivesARestart_andIsUploadedOnceEnoughAccumulated() {
    ParameterSet x = w(0f, 0f, 0f, 0f); // norm 0: the change counts absolutely; each job's is ||(0.3,...)|| = 0.6
    TrainConfig cfg = TrainConfig.builder().build();
    Trainer first = Trainer.eventTriggered(new Stepper(), 1.0);
    TrainResult skip = first.fit(x, cfg);
    assertThat(EventTrigger.skipped(skip)).isTrue();
    assertThat(skip.parameters().count()).isZero();
    ParameterSet saved = first.saveState();
    assertThat(saved.names()).containsExactlyInAnyOrder("inner/n", "event.residual/w");
    assertThat(saved.get("event.residual/w").data()).containsExactly(0.3f, 0.3f, 0.3f, 0.3f);

    Stepper inner = new Stepper();
    inner.own = ParameterSet.of(List.of());
    Trainer restarted = Trainer.eventTriggered(inner, 1.0);
    restarted.restoreState(saved);
    assertThat(inner.own.names()).containsExactly("inner/n"); // the inner trainer gets back only its own state
    TrainResult up = restarted.fit(x, cfg); // 0.6 + 0.6 = 1.2 >= 1.0: upload x + both changes
    assertThat(EventTrigger.skipped(up)).isFalse();
    assertThat(up.parameters().get("w").data()).containsExactly(0.6f, 0.6f, 0.6f, 0.6f);
    assertThat(restarted.saveState().names()).containsExactly("inner/n");
  }
}
