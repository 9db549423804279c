package dev.starling.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.List;
import org.junit.jupiter.api.Test;

class ServerOptimizersTest {
  private static final ClientId A = new ClientId("a");
  private static final List<ClientFailure> DROPPED = List.of(new ClientFailure(A, ErrorCode.UNAVAILABLE, "dropped"));

  private static ParameterSet w(float... values) {
    return ParameterSet.of(Tensor.of("w", values, values.length));
  }

  /** One round with one client whose model is {@code global + delta} (so the pseudo-gradient is delta). */
  private static AggregateResult round(Strategy s, int r, ParameterSet global, float... delta) {
    float[] x = global.flatten();
    float[] client = new float[x.length];
    for (int i = 0; i < x.length; i++) {
      client[i] = x[i] + delta[i];
    }
    Aggregation agg = s.beginAggregation(r, global);
    agg.accept(A, new TrainResult(w(client), 10, 1, Metrics.of(Metrics.LOSS, 0.7)));
    return agg.finish(List.of());
  }

  private static float x(AggregateResult r) {
    return r.parameters().flatten()[0];
  }

  @Test
  void fedAdam_twoRoundsDefaults_matchesHandComputedMomentsAndModel() {
    // eta=0.1, b1=0.9, b2=0.99, tau=1e-3, m0=0, v0=tau^2=1e-6; x0=1.
    // r1 delta=0.5: m1=0.1*0.5=0.05; v1=0.99e-6+0.01*0.25=0.00250099; x1=1+0.1*0.05/(0.0500099+0.001)=1.0980202
    // r2 delta=-0.3: m2=0.045-0.03=0.015; v2=0.99*0.00250099+0.01*0.09=0.0033759801;
    //    x2=x1+0.1*0.015/(0.0581032+0.001)=x1+0.0253794=1.1233996
    FedAdam s = new FedAdam();
    ParameterSet x1 = round(s, 1, w(1f), 0.5f).parameters();
    assertThat(x1.flatten()[0]).isCloseTo(1.0980202f, within(1e-6f));
    assertThat(s.stateOf(0, 0)[0]).isCloseTo(0.05f, within(1e-7f));
    assertThat(s.stateOf(1, 0)[0]).isCloseTo(0.00250099f, within(1e-9f));
    AggregateResult r2 = round(s, 2, x1, -0.3f);
    assertThat(s.stateOf(0, 0)[0]).isCloseTo(0.015f, within(1e-7f));
    assertThat(s.stateOf(1, 0)[0]).isCloseTo(0.0033759801f, within(1e-9f));
    assertThat(x(r2)).isCloseTo(1.1233996f, within(2e-6f));
  }

  @Test
  void fedYogi_twoRoundsDefaults_matchesHandComputedMomentsAndModel() {
    // Same rounds as FedAdam; v grows additively because v_{t-1} < delta^2 both times:
    // r1: v1=1e-6+0.01*0.25=0.002501; x1=1+0.005/(0.05001+0.001)=1.0980200
    // r2: v2=0.002501+0.01*0.09=0.003401; m2=0.015; x2=x1+0.0015/(0.0583181+0.001)=x1+0.0252874=1.1233074
    FedYogi s = new FedYogi();
    ParameterSet x1 = round(s, 1, w(1f), 0.5f).parameters();
    assertThat(x1.flatten()[0]).isCloseTo(1.0980200f, within(1e-6f));
    assertThat(s.stateOf(1, 0)[0]).isCloseTo(0.002501f, within(1e-9f));
    AggregateResult r2 = round(s, 2, x1, -0.3f);
    assertThat(s.stateOf(0, 0)[0]).isCloseTo(0.015f, within(1e-7f));
    assertThat(s.stateOf(1, 0)[0]).isCloseTo(0.003401f, within(1e-9f));
    assertThat(x(r2)).isCloseTo(1.1233074f, within(2e-6f)).isNotCloseTo(1.1233996f, within(2e-5f));
  }

  @Test
  void fedAdagrad_twoRounds_matchesHandComputedMomentsAndModel() {
    // eta=1, b1=0.5, tau=1 (v0=1); x0=0.
    // r1 delta=3: m1=1.5; v1=1+9=10; x1=1.5/(sqrt(10)+1)=1.5/4.1622777=0.3603796
    // r2 delta=-1: m2=0.75-0.5=0.25; v2=11; x2=x1+0.25/(sqrt(11)+1)=x1+0.0579156=0.4182952
    FedAdagrad s = new FedAdagrad(new FedAvg(), new ServerOptConfig(1, 0.5, 0.99, 1));
    ParameterSet x1 = round(s, 1, w(0f), 3f).parameters();
    assertThat(x1.flatten()[0]).isCloseTo(0.3603796f, within(1e-6f));
    assertThat(s.stateOf(0, 0)[0]).isEqualTo(1.5f);
    assertThat(s.stateOf(1, 0)[0]).isEqualTo(10f);
    AggregateResult r2 = round(s, 2, x1, -1f);
    assertThat(s.stateOf(0, 0)[0]).isCloseTo(0.25f, within(1e-6f));
    assertThat(s.stateOf(1, 0)[0]).isCloseTo(11f, within(1e-5f));
    assertThat(x(r2)).isCloseTo(0.4182952f, within(1e-6f));
  }

  @Test
  void fedAvgM_twoRoundsTwoTensors_matchesHandComputedVelocityAndModel() {
    // eta=1, beta=0.9, v0=0; x0=(w=[0,2], b=[1]).
    // r1 delta=(1,0,-1): v1=(1,0,-1); x1=(1,2,0)
    // r2 delta=(-0.5,1,0.5): v2=(0.9-0.5, 0+1, -0.9+0.5)=(0.4,1,-0.4); x2=(1.4,3,-0.4)
    FedAvgM s = new FedAvgM();
    ParameterSet x0 = ParameterSet.of(Tensor.of("w", new float[] {0, 2}, 2), Tensor.of("b", new float[] {1}, 1));
    ParameterSet x1 = step(s, 1, x0, new float[] {1, 2}, new float[] {0});
    assertThat(x1.flatten()).containsExactly(new float[] {1, 2, 0}, within(1e-6f));
    ParameterSet x2 = step(s, 2, x1, new float[] {0.5f, 3}, new float[] {0.5f});
    assertThat(s.stateOf(0, 0)).containsExactly(new float[] {0.4f, 1f}, within(1e-6f));
    assertThat(s.stateOf(0, 1)).containsExactly(new float[] {-0.4f}, within(1e-6f));
    assertThat(x2.flatten()).containsExactly(new float[] {1.4f, 3f, -0.4f}, within(1e-6f));
  }

  private static ParameterSet step(Strategy s, int r, ParameterSet global, float[] w, float[] b) {
    Aggregation agg = s.beginAggregation(r, global);
    agg.accept(A, new TrainResult(ParameterSet.of(Tensor.of("w", w, 2), Tensor.of("b", b, 1)), 5, 1, Metrics.empty()));
    return agg.finish(List.of()).parameters();
  }

  @Test
  void yogiVsAdam_secondMomentBelowAndAboveDeltaSquared_differInSign() {
    // eta=1, b1=0, b2=0.5, tau=1 (v0=1); delta=(2, 0.5), so delta^2=(4, 0.25).
    // coord 0, v0 < delta^2: Adam v=0.5*1+0.5*4=2.5; Yogi v=1+0.5*4=3 (grows by (1-b2)delta^2, no decay)
    // coord 1, v0 > delta^2: Adam v=0.5+0.125=0.625; Yogi v=1-0.5*0.25=0.875 (shrinks by (1-b2)delta^2)
    // x = delta/(sqrt(v)+1): Adam (0.7748518, 0.2792408), Yogi (0.7320508, 0.2583426)
    ServerOptConfig cfg = new ServerOptConfig(1, 0, 0.5, 1);
    FedAdam adam = new FedAdam(new FedAvg(), cfg);
    FedYogi yogi = new FedYogi(new FedAvg(), cfg);
    float[] xa = round(adam, 1, w(0f, 0f), 2f, 0.5f).parameters().flatten();
    float[] xy = round(yogi, 1, w(0f, 0f), 2f, 0.5f).parameters().flatten();
    assertThat(adam.stateOf(1, 0)).containsExactly(new float[] {2.5f, 0.625f}, within(1e-6f));
    assertThat(yogi.stateOf(1, 0)).containsExactly(new float[] {3f, 0.875f}, within(1e-6f));
    assertThat(xa).containsExactly(new float[] {0.7748518f, 0.2792408f}, within(1e-6f));
    assertThat(xy).containsExactly(new float[] {0.7320508f, 0.2583426f}, within(1e-6f));
  }

  @Test
  void noUpdateRound_leavesModelAndStateUnchanged() {
    FedAdam s = new FedAdam();
    ParameterSet x1 = round(s, 1, w(1f), 0.5f).parameters();
    float[] m = s.stateOf(0, 0);
    float[] v = s.stateOf(1, 0);
    AggregateResult empty = s.beginAggregation(2, x1).finish(DROPPED);
    assertThat(empty.parameters()).isSameAs(x1);
    assertThat(empty.metrics().getOrNaN("clients_aggregated")).isZero();
    assertThat(s.stateOf(0, 0)).containsExactly(m);
    assertThat(s.stateOf(1, 0)).containsExactly(v);
    // the next real round continues as if the empty round had not happened (x2 of the FedAdam case)
    assertThat(x(round(s, 3, x1, -0.3f))).isCloseTo(1.1233996f, within(2e-6f));
  }

  @Test
  void aggregatorReportsZeroClients_doesNotStep() {
    Strategy rejectsAll = new Strategy() {
      @Override
      public Aggregation beginAggregation(int round, ParameterSet global) {
        return new Aggregation() {
          @Override
          public void accept(ClientId client, TrainResult result) {}

          @Override
          public AggregateResult finish(List<ClientFailure> failures) {
            return new AggregateResult(global.copy(), Metrics.of("clients_aggregated", 0));
          }
        };
      }

      @Override
      public AggregationInput requiredInput() {
        return AggregationInput.INDIVIDUAL_UPDATES;
      }

      @Override
      public String describe() {
        return "RejectsAll";
      }
    };
    FedYogi s = new FedYogi(rejectsAll, ServerOptConfig.defaults());
    AggregateResult r = round(s, 1, w(2f), 1f);
    assertThat(r.parameters().flatten()).containsExactly(2f);
    assertThat(s.stateOf(0, 0)).isNull();
    assertThat(s.requiredInput()).isEqualTo(AggregationInput.INDIVIDUAL_UPDATES);
  }

  @Test
  void finish_carriesAggregatorMetrics() {
    AggregateResult r = round(new FedAdam(), 1, w(1f), 0.5f);
    assertThat(r.metrics().getOrNaN("train_loss")).isEqualTo(0.7);
    assertThat(r.metrics().getOrNaN("clients_aggregated")).isEqualTo(1);
    assertThat(r.metrics().getOrNaN("examples")).isEqualTo(10);
  }

  @Test
  void initialize_clearsState() {
    FedAvgM s = new FedAvgM();
    round(s, 1, w(0f), 1f);
    assertThat(s.stateOf(0, 0)).containsExactly(1f);
    s.initialize(w(0f));
    assertThat(s.stateOf(0, 0)).isNull();
  }

  @Test
  void finish_calledTwice_throws() {
    Aggregation agg = new FedAdam().beginAggregation(1, w(0f));
    agg.finish(List.of());
    assertThatThrownBy(() -> agg.finish(List.of())).isInstanceOf(IllegalStateException.class).hasMessageContaining("round 1");
  }

  @Test
  void describe_namesOptimizerHyperParametersAndAggregator() {
    assertThat(new FedAdam().describe()).isEqualTo("FedAdam(eta=0.1,b1=0.9,b2=0.99,tau=0.001) <- FedAvg(weighting=examples)");
    assertThat(new FedYogi().describe()).isEqualTo("FedYogi(eta=0.1,b1=0.9,b2=0.99,tau=0.001) <- FedAvg(weighting=examples)");
    assertThat(new FedAdagrad().describe()).isEqualTo("FedAdagrad(eta=0.1,b1=0.9,tau=0.001) <- FedAvg(weighting=examples)");
    assertThat(new FedAvgM().describe()).isEqualTo("FedAvgM(eta=1.0,beta=0.9) <- FedAvg(weighting=examples)");
  }

  @Test
  void constructors_invalidHyperParameters_throwWithValue() {
    assertThatThrownBy(() -> new ServerOptConfig(0.1, 1.0, 0.99, 1e-3))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("beta1 must be in [0, 1). Provided value: 1.0");
    assertThatThrownBy(() -> new ServerOptConfig(0.1, 0.9, 0.99, 0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("tau must be > 0");
    assertThatThrownBy(() -> new FedAvgM(new FedAvg(), 0, 0.9))
        .isInstanceOf(IllegalArgumentException.class).hasMessageStartingWith("eta must be > 0");
    assertThatThrownBy(() -> new FedAvgM(new FedAvg(), 1, -0.1))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("beta must be in [0, 1). Provided value: -0.1");
  }
}
