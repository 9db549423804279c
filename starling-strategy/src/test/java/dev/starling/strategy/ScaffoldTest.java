package dev.starling.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.Attachments;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScaffoldTest {
  private static ParameterSet vec(float... v) {
    return ParameterSet.of(Tensor.of("w", v, v.length));
  }

  private static float[] data(ParameterSet p) {
    return p.get("w").data();
  }

  @Test
  void clientFit_correctsGradientsAndUpdatesControlByOptionTwo() {
    // x = (1, 2), c = (0.5, 0), c_i = (0.25, -1) from an earlier round; lr = 0.1, the fake trainer takes
    // K = 4 steps and returns y = (0.6, 1.0). correction = c - c_i = (0.25, 1).
    // c_i+ = c_i - c + (x - y)/(K lr) = (0.25-0.5+0.4/0.4, -1-0+1.0/0.4) = (0.75, 1.5); dc = c_i+ - c_i = (0.5, 2.5).
    ClientState state = new ClientState();
    state.put(Scaffold.CLIENT_CONTROL, vec(0.25f, -1f));
    TrainConfig cfg = TrainConfig.builder().learningRate(0.1)
        .attachments(Attachments.none().with(Scaffold.SERVER_CONTROL, vec(0.5f, 0f))).build();
    List<ParameterSet> corrections = new ArrayList<>();
    TrainResult r = Scaffold.clientFit(vec(1f, 2f), cfg, state, (g, c) -> {
      corrections.add(c.gradientCorrection());
      return new TrainResult(vec(0.6f, 1.0f), 10, 4, Metrics.of(Metrics.LOSS, 0.3));
    });
    assertThat(data(corrections.get(0))).containsExactly(new float[] {0.25f, 1f}, within(1e-6f));
    assertThat(data(state.get(Scaffold.CLIENT_CONTROL).orElseThrow())).containsExactly(new float[] {0.75f, 1.5f}, within(1e-5f));
    assertThat(data(r.attachments().get(Scaffold.CONTROL_DELTA).orElseThrow())).containsExactly(new float[] {0.5f, 2.5f}, within(1e-5f));
    assertThat(data(r.parameters())).containsExactly(0.6f, 1.0f);
  }

  @Test
  void aggregate_updatesModelByMeanAndControlByShareOfAllClients() {
    // N = 4 clients in all, 2 reply. x = (0, 0), y1 = (2, 0), y2 = (0, 4) -> mean (1, 2); eta_g = 0.5 -> x' = (0.5, 1).
    // dc1 = (1, 1), dc2 = (3, -1) -> mean (2, 0); c' = 0 + (2/4) * (2, 0) = (1, 0).
    Scaffold s = new Scaffold(0.5);
    s.prepare(new RoundPlan(2, 4));
    ParameterSet x = s.initialize(vec(0f, 0f));
    Aggregation agg = s.beginAggregation(1, x);
    agg.accept(new ClientId("a"), reply(vec(2f, 0f), vec(1f, 1f)));
    agg.accept(new ClientId("b"), reply(vec(0f, 4f), vec(3f, -1f)));
    AggregateResult r = agg.finish(List.of());
    assertThat(data(r.parameters())).containsExactly(new float[] {0.5f, 1f}, within(1e-6f));
    assertThat(data(s.control())).containsExactly(new float[] {1f, 0f}, within(1e-6f));
    TrainConfig next = s.configureTrain(2, new ClientId("a"), TrainConfig.builder().build());
    assertThat(data(next.attachments().get(Scaffold.SERVER_CONTROL).orElseThrow())).containsExactly(1f, 0f);
  }

  @Test
  void accept_withoutControlDelta_rejectedNamingClientAndFix() {
    Scaffold s = new Scaffold();
    s.prepare(new RoundPlan(1, 1));
    Aggregation agg = s.beginAggregation(1, s.initialize(vec(0f)));
    assertThatThrownBy(() -> agg.accept(new ClientId("c9"), new TrainResult(vec(1f), 1, 1, Metrics.empty())))
        .isInstanceOf(FlException.class).hasMessageContaining("c9").hasMessageContaining("clientInterceptors");
  }

  private static TrainResult reply(ParameterSet y, ParameterSet dc) {
    return new TrainResult(y, 5, 3, Metrics.of(Metrics.LOSS, 1), Attachments.none().with(Scaffold.CONTROL_DELTA, dc));
  }
}
