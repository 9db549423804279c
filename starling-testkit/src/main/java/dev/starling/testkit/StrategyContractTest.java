package dev.starling.testkit;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import dev.starling.core.error.ErrorCode;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.Test;

/**
 * The contract every {@link Strategy} passes. Extend it in a test of your strategy and implement
 * {@link #newStrategy()}; override {@link #averagesIdenticalUpdatesToThemselves()} to return false for
 * strategies that legitimately move away from a consensus (e.g. server optimisers with momentum).
 */
public abstract class StrategyContractTest {
  /** A fresh strategy under test. */
  protected abstract Strategy newStrategy();

  /** Whether aggregating n identical updates must give that update back. */
  protected boolean averagesIdenticalUpdatesToThemselves() {
    return true;
  }

  /**
   * The reply of a client that trained to {@code model}; strategies whose clients return attachments
   * (e.g. SCAFFOLD's control delta) override this to add neutral ones.
   */
  protected TrainResult clientResult(ParameterSet model, long numExamples) {
    return new TrainResult(model, numExamples, 1, Metrics.of(Metrics.LOSS, 0.5));
  }

  /** A fresh strategy, prepared for 10 clients per round out of 10 and initialised with {@code initial}. */
  private ParameterSet start(Strategy s, ParameterSet initial) {
    s.prepare(new RoundPlan(10, 10));
    return s.initialize(initial);
  }

  @Test
  public void aggregate_identicalUpdates_returnsThatUpdate() {
    Assumptions.assumeTrue(averagesIdenticalUpdatesToThemselves(), "strategy declares it does not average");
    Strategy s = newStrategy();
    ParameterSet global = start(s, TestParameters.random(4, 3, 1));
    ParameterSet update = TestParameters.random(4, 3, 2);
    Aggregation agg = s.beginAggregation(1, global);
    for (int i = 0; i < 7; i++) {
      agg.accept(ClientId.ofIndex(i), clientResult(update.copy(), 10 + i));
    }
    AggregateResult r = agg.finish(List.of());
    assertThat(r.parameters().sameSpec(global)).isTrue();
    float[] got = r.parameters().flatten();
    float[] want = update.flatten();
    for (int i = 0; i < want.length; i++) {
      assertThat(got[i]).as("coordinate %d", i).isCloseTo(want[i], org.assertj.core.data.Offset.offset(1e-5f));
    }
  }

  @Test
  public void aggregate_noUpdates_keepsGlobalSpec() {
    Strategy s = newStrategy();
    ParameterSet global = start(s, TestParameters.random(2, 5, 3));
    AggregateResult r = s.beginAggregation(1, global)
        .finish(List.of(new ClientFailure(ClientId.ofIndex(0), ErrorCode.UNAVAILABLE, "dropped")));
    assertThat(r.parameters().sameSpec(global)).isTrue();
    assertThat(r.parameters().flatten()).containsExactly(global.flatten());
  }

  @Test
  public void aggregate_doesNotMutateInputs() {
    Strategy s = newStrategy();
    ParameterSet global = start(s, TestParameters.random(3, 3, 4));
    float[] globalBefore = global.flatten();
    ParameterSet a = TestParameters.random(3, 3, 5);
    ParameterSet b = TestParameters.random(3, 3, 6);
    float[] aBefore = a.flatten();
    float[] bBefore = b.flatten();
    Aggregation agg = s.beginAggregation(1, global);
    agg.accept(ClientId.ofIndex(0), clientResult(a, 5));
    agg.accept(ClientId.ofIndex(1), clientResult(b, 9));
    agg.finish(List.of());
    assertThat(global.flatten()).containsExactly(globalBefore);
    assertThat(a.flatten()).containsExactly(aBefore);
    assertThat(b.flatten()).containsExactly(bBefore);
  }

  @Test
  public void configureTrain_keepsRoundAndSeed() {
    Strategy s = newStrategy();
    start(s, TestParameters.random(2, 2, 1));
    TrainConfig base = TrainConfig.builder().round(3).seed(99).build();
    TrainConfig c = s.configureTrain(3, ClientId.ofIndex(1), base);
    assertThat(c.round()).isEqualTo(3);
    assertThat(c.seed()).isEqualTo(99);
  }

  /**
   * Checkpoint completeness: a fresh instance given {@link Strategy#saveState()} of one that ran a round
   * aggregates the next round bit-for-bit like the original (a server resumed after a crash continues
   * exactly). A strategy that keeps state across rounds must save and restore it.
   */
  @Test
  public void saveState_restoredIntoAFreshInstance_continuesIdentically() {
    ParameterSet initial = TestParameters.random(3, 4, 7);
    Strategy original = newStrategy();
    ParameterSet g1 = start(original, initial);
    Aggregation r1 = original.beginAggregation(1, g1);
    r1.accept(ClientId.ofIndex(0), clientResult(TestParameters.random(3, 4, 8), 4));
    r1.accept(ClientId.ofIndex(1), clientResult(TestParameters.random(3, 4, 9), 6));
    ParameterSet g2 = r1.finish(List.of()).parameters();

    Strategy resumed = newStrategy();
    start(resumed, initial);
    resumed.restoreState(original.saveState());

    ParameterSet u = TestParameters.random(3, 4, 10);
    ParameterSet v = TestParameters.random(3, 4, 11);
    Aggregation a = original.beginAggregation(2, g2);
    a.accept(ClientId.ofIndex(0), clientResult(u.copy(), 5));
    a.accept(ClientId.ofIndex(1), clientResult(v.copy(), 3));
    Aggregation b = resumed.beginAggregation(2, g2);
    b.accept(ClientId.ofIndex(0), clientResult(u.copy(), 5));
    b.accept(ClientId.ofIndex(1), clientResult(v.copy(), 3));
    assertThat(b.finish(List.of()).parameters().flatten()).containsExactly(a.finish(List.of()).parameters().flatten());
  }

  @Test
  public void describe_isNonBlank() {
    assertThat(newStrategy().describe()).isNotBlank();
    assertThat(newStrategy().requiredInput()).isNotNull();
  }
}
