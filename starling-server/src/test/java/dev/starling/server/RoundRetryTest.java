package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.FedAvg;
import dev.starling.testkit.TestParameters;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RoundRetryTest {
  private static final ParameterSet INITIAL = TestParameters.constant(TestParameters.random(2, 2, 1), 0f);

  /** Fails its first {@code failures} jobs with UNAVAILABLE, then returns a constant model. */
  private static ClientProxy flaky(int index, int failures, float value) {
    AtomicInteger calls = new AtomicInteger();
    return new ClientProxy() {
      @Override
      public ClientId id() {
        return ClientId.ofIndex(index);
      }

      @Override
      public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
        if (calls.getAndIncrement() < failures) {
          return CompletableFuture.failedFuture(new FlException(ErrorCode.UNAVAILABLE, "connection reset"));
        }
        return CompletableFuture.completedFuture(new FitOutcome(
            new TrainResult(TestParameters.constant(INITIAL, value), 10, 1, Metrics.of("loss", 1)), 1, 1));
      }

      @Override
      public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
        return CompletableFuture.completedFuture(new EvalResult(1, Metrics.of("loss", 1)));
      }
    };
  }

  private static RoundRecord run(int retries) {
    ClientPool pool = ClientPool.of(List.of(flaky(0, 1, 1f), flaky(1, 0, 3f)));
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(1).fractionFit(1.0).minFitClients(2).minSuccessfulClients(2)
        .roundTimeout(Duration.ofSeconds(5)).roundRetries(retries).build();
    RoundLoop.Result r = new RoundLoop(new FedAvg(), pool, cfg, RoundListener.NONE).run(INITIAL);
    return r.history().rounds().get(0);
  }

  @Test
  void roundBelowQuorumIsRetriedAndKeepsTheFirstAttemptsFailures() {
    RoundRecord rec = run(1);
    assertThat(rec.clientsSucceeded()).isEqualTo(2);
    assertThat(rec.metric("round_failed")).isNaN();
    assertThat(rec.metric("round_attempts")).isEqualTo(2);
    assertThat(rec.failures()).singleElement().satisfies(f -> {
      assertThat(f.client()).isEqualTo(ClientId.ofIndex(0));
      assertThat(f.reason()).contains("connection reset");
    });
  }

  @Test
  void withoutRetriesTheRoundIsRecordedAsFailedAndTheModelKept() {
    RoundRecord rec = run(0);
    assertThat(rec.clientsSucceeded()).isEqualTo(1);
    assertThat(rec.metric("round_failed")).isEqualTo(1);
    assertThat(rec.metric("round_attempts")).isNaN();
  }
}
