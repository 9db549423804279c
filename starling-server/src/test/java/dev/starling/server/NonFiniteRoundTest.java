package dev.starling.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.Attachments;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Scaffold;
import dev.starling.strategy.Strategy;
import dev.starling.testkit.TestParameters;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.BiFunction;
import org.junit.jupiter.api.Test;

/**
 * Finite but huge updates and huge example counts (issue 18, item 3): the committed model and strategy
 * state stay finite, and honest updates keep being accepted in later rounds.
 */
class NonFiniteRoundTest {
  private static final ParameterSet INITIAL = TestParameters.constant(TestParameters.random(2, 3, 1), 0f);

  /** A client whose reply to (round, global) is computed by {@code reply}. */
  private static ClientProxy client(int index, BiFunction<Integer, ParameterSet, TrainResult> reply) {
    return new ClientProxy() {
      @Override
      public ClientId id() {
        return ClientId.ofIndex(index);
      }

      @Override
      public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
        return CompletableFuture.completedFuture(new FitOutcome(reply.apply(config.round(), global), 1, 1));
      }

      @Override
      public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
        return CompletableFuture.completedFuture(new EvalResult(1, Metrics.of("loss", 1)));
      }
    };
  }

  /** An honest client: global + 1 everywhere, 10 examples. */
  private static ClientProxy honest(int index) {
    return client(index, (round, g) -> new TrainResult(plus(g, 1f), 10, 1, Metrics.of("loss", 1)));
  }

  private static ParameterSet plus(ParameterSet g, float d) {
    return g.map(t -> {
      float[] x = t.data().clone();
      for (int i = 0; i < x.length; i++) {
        x[i] += d;
      }
      return dev.starling.core.tensor.Tensor.of(t.name(), x, t.shape());
    });
  }

  /** Runs {@code rounds} rounds with every client selected; checks every committed model is finite. */
  private static List<RoundRecord> run(Strategy s, int rounds, ClientProxy... clients) {
    List<ParameterSet> committed = new ArrayList<>();
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(rounds).fractionFit(1.0).minFitClients(clients.length)
        .roundTimeout(Duration.ofSeconds(5)).build();
    RoundLoop.Result r = new RoundLoop(s, ClientPool.of(List.of(clients)), cfg, new RoundListener() {
      @Override
      public void onRoundCommitted(int round, ParameterSet global, History history) {
        committed.add(global); // what a Checkpointer would write
        assertThat(s.saveState().maxAbs()).as("strategy state after round %d", round).isLessThanOrEqualTo(Float.MAX_VALUE);
      }
    }).run(INITIAL);
    for (ParameterSet g : committed) {
      assertThat(g.maxAbs()).isLessThanOrEqualTo(Float.MAX_VALUE);
    }
    assertThat(committed).hasSize(rounds);
    return r.history().rounds();
  }

  @Test
  void fedAvg_clientSending3e38_modelStaysFiniteAndHonestUpdatesAreAccepted() {
    // weight 10 x 3e38 overflows a float32 sum at once
    ClientProxy hostile = client(2, (round, g) -> new TrainResult(TestParameters.constant(g, round <= 2 ? 3e38f : 0f), 10, 1,
        Metrics.of("loss", 1)));
    List<RoundRecord> h = run(new FedAvg(), 4, honest(0), honest(1), hostile);
    for (RoundRecord r : h) {
      assertThat(r.committed()).as("round %d: %s", r.round(), r.failureReason()).isTrue();
      assertThat(r.clientsSucceeded()).isEqualTo(3);
    }
  }

  @Test
  void fedAvg_clientClaimingLongMaxExamples_isRejectedNamingTheClaim() {
    ClientProxy liar = client(2, (round, g) -> new TrainResult(plus(g, 5f), Long.MAX_VALUE, 1, Metrics.of("loss", 1)));
    List<RoundRecord> h = run(new FedAvg(), 2, honest(0), honest(1), liar);
    for (RoundRecord r : h) {
      assertThat(r.clientsSucceeded()).isEqualTo(2);
      ClientFailure f = r.failures().get(0);
      assertThat(f.client()).isEqualTo(ClientId.ofIndex(2));
      assertThat(f.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT);
      assertThat(f.reason()).contains("num_examples = " + Long.MAX_VALUE).contains("2147483647");
    }
  }

  @Test
  void fedAvg_clientClaimingIntegerMaxExamplesWith3e38_staysFinite() {
    ClientProxy heavy = client(2, (round, g) -> new TrainResult(TestParameters.constant(g, round == 1 ? 3e38f : 0f),
        Integer.MAX_VALUE, 1, Metrics.of("loss", 1)));
    List<RoundRecord> h = run(new FedAvg(), 3, honest(0), honest(1), heavy);
    for (RoundRecord r : h) {
      assertThat(r.committed()).as(r.failureReason()).isTrue();
      assertThat(r.clientsSucceeded()).isEqualTo(3);
    }
  }

  @Test
  void scaffold_hugeControlDelta_roundThatWouldOverflowTheControlIsRejectedAndLaterRoundsGoOn() {
    // honest: model + 1, dc = 0; hostile (rounds 1-3): dc = MAX_VALUE, so c = MAX/2, MAX, then 1.5 MAX = +Inf
    BiFunction<Integer, ParameterSet, TrainResult> honestReply = (round, g) -> new TrainResult(plus(g, 1f), 10, 1,
        Metrics.of("loss", 1), Attachments.none().with(Scaffold.CONTROL_DELTA, g.zerosLike()));
    BiFunction<Integer, ParameterSet, TrainResult> hostileReply = (round, g) -> round > 3 ? honestReply.apply(round, g)
        : new TrainResult(TestParameters.constant(g, 3e38f), 10, 1, Metrics.of("loss", 1),
            Attachments.none().with(Scaffold.CONTROL_DELTA, TestParameters.constant(g, Float.MAX_VALUE)));
    Scaffold scaffold = new Scaffold();
    List<ParameterSet> controls = new ArrayList<>();
    List<RoundRecord> h = new ArrayList<>();
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(5).fractionFit(1.0).minFitClients(2)
        .roundTimeout(Duration.ofSeconds(5)).build();
    new RoundLoop(scaffold, ClientPool.of(List.of(client(0, honestReply), client(1, hostileReply))), cfg,
        new RoundListener() {
          @Override
          public void onRoundCommitted(int round, ParameterSet global, History history) {
            assertThat(global.maxAbs()).isLessThanOrEqualTo(Float.MAX_VALUE);
            controls.add(scaffold.control());
            h.add(history.last().orElseThrow());
          }
        }).run(INITIAL);
    assertThat(h.get(0).committed()).isTrue();
    assertThat(h.get(1).committed()).isTrue();
    RoundRecord third = h.get(2);
    assertThat(third.committed()).isFalse();
    assertThat(third.metric("round_failed")).isEqualTo(1.0);
    assertThat(third.failureReason()).contains("strategy state is not finite").contains("previous global model");
    assertThat(controls.get(2)).as("control variate rolled back").isEqualTo(controls.get(1));
    for (ParameterSet c : controls) {
      assertThat(c.maxAbs()).isLessThanOrEqualTo(Float.MAX_VALUE);
    }
    assertThat(h.get(3).committed()).isTrue();
    assertThat(h.get(4).committed()).isTrue();
    assertThat(h.get(4).clientsSucceeded()).isEqualTo(2);
  }
}
