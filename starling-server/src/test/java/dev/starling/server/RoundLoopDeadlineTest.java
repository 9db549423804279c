package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.FedAvg;
import dev.starling.testkit.TestParameters;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/** What the round deadline does to the task of a client that never answers. */
class RoundLoopDeadlineTest {
  @Test
  void theDeadlineCancelsTheProxysOwnFutureSoTheTransportCanAbandonTheTask() {
    CompletableFuture<FitOutcome> task = new CompletableFuture<>();
    ClientProxy silent = new ClientProxy() {
      @Override
      public ClientId id() {
        return ClientId.ofIndex(0);
      }

      @Override
      public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
        return task;
      }

      @Override
      public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
        return new CompletableFuture<>();
      }
    };
    RoundLoop.Result r = new RoundLoop(new FedAvg(), ClientPool.of(List.of(silent)),
        RoundLoopConfig.builder().rounds(1).fractionFit(1.0).seed(1).roundTimeout(Duration.ofMillis(50)).build(),
        RoundListener.NONE).run(TestParameters.constant(TestParameters.random(2, 2, 1), 0f));
    assertThat(r.history().rounds().get(0).failures()).extracting(ClientFailure::code)
        .containsExactly(ErrorCode.DEADLINE_EXCEEDED);
    // the future the proxy handed out (not a copy derived from it) is what the deadline cancels
    assertThat(task).isCancelled();
  }
}
