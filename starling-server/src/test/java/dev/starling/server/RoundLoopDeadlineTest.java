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
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * What the round deadline does to the task of a client that never answers. Time is a {@link ManualRoundClock}:
 * the deadline passes when the test moves it, never by waiting.
 */
class RoundLoopDeadlineTest {
  private static final Duration DEADLINE = Duration.ofHours(1);

  @ParameterizedTest
  @EnumSource(FoldOrder.class)
  void theDeadlineOnTheClockCancelsTheProxysOwnFutureSoTheTransportCanAbandonTheTask(FoldOrder order)
      throws Exception {
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
    ManualRoundClock clock = new ManualRoundClock();
    RoundLoop loop = new RoundLoop(new FedAvg(), ClientPool.of(List.of(silent)),
        RoundLoopConfig.builder().rounds(1).fractionFit(1.0).seed(1).roundTimeout(DEADLINE).foldOrder(order).build(),
        RoundListener.NONE, clock);
    CompletableFuture<RoundLoop.Result> run = CompletableFuture.supplyAsync(
        () -> loop.run(TestParameters.constant(TestParameters.random(2, 2, 1), 0f)),
        r -> Thread.ofPlatform().daemon().name("round-loop").start(r));
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (clock.pendingDeadlines() == 0 && System.nanoTime() < end) {
      Thread.sleep(2); // until the loop has armed the round's deadline
    }
    assertThat(clock.pendingDeadlines()).isEqualTo(1);

    clock.advance(DEADLINE.minusNanos(1));
    assertThat(clock.pendingDeadlines()).as("the deadline has not passed").isEqualTo(1);
    assertThat(task).isNotDone();
    clock.advance(Duration.ofNanos(1));
    RoundLoop.Result r = run.get(20, TimeUnit.SECONDS);

    assertThat(r.history().rounds().get(0).failures()).extracting(ClientFailure::code)
        .containsExactly(ErrorCode.DEADLINE_EXCEEDED);
    assertThat(r.history().rounds().get(0).failures().get(0).reason()).contains("round deadline of PT1H");
    // the future the proxy handed out (not a copy derived from it) is what the deadline cancels
    assertThat(task).isCancelled();
  }
}
