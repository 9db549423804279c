package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.privacy.secagg.InProcessSecureSum;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.privacy.secagg.SecureSum;
import dev.starling.server.ClientPool;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.strategy.FedAvg;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** A round retried under secure aggregation ({@code round-retries}) runs its secure sum over that attempt's clients only. */
class SecureAggregationRetryTest {
  private static final ParameterSet INITIAL = ParameterSet.of(Tensor.of("w", new float[] {0, 0, 0, 0}, 4));

  /** Records the clients each secure sum round is opened with. */
  private static final class Recording implements SecureSum {
    private final SecureSum inner = new InProcessSecureSum(0.2, 4.0, 0, false);
    final List<List<ClientId>> opened = new ArrayList<>();

    @Override
    public double maxAbs() {
      return inner.maxAbs();
    }

    @Override
    public void prepare(int clientsPerRound) {
      inner.prepare(clientsPerRound);
    }

    @Override
    public String describe() {
      return "recording " + inner.describe();
    }

    @Override
    public Round begin(int round, ParameterSet global, List<ClientId> selected) {
      opened.add(List.copyOf(selected));
      return inner.begin(round, global, selected);
    }
  }

  /** Fails its first {@code failFirst} tasks, then adds 1 to every value. */
  private static ClientProxy client(int i, AtomicInteger failFirst) {
    ClientId id = ClientId.ofIndex(i);
    return new ClientProxy() {
      @Override
      public ClientId id() {
        return id;
      }

      @Override
      public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
        if (failFirst.getAndDecrement() > 0) {
          return CompletableFuture.failedFuture(new FlException(ErrorCode.UNAVAILABLE, "simulated drop-out"));
        }
        ParameterSet p = ParameterSet.of(Tensor.of("w", new float[] {1, 1, 1, 1}, 4));
        return CompletableFuture.completedFuture(new FitOutcome(new TrainResult(p, 10, 1, Metrics.of("loss", 1.0)), 0, 0));
      }

      @Override
      public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
        return CompletableFuture.completedFuture(new EvalResult(1, Metrics.of("loss", 1.0)));
      }
    };
  }

  @Test
  void retriedRound_opensTheSecureSumWithTheRetrysClientsOnce() {
    AtomicInteger failFirst = new AtomicInteger(4); // the whole first attempt drops out
    List<ClientProxy> clients = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      clients.add(client(i, failFirst));
    }
    Recording sum = new Recording();
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(2).fractionFit(1.0).minFitClients(4).minAvailableClients(4)
        .minSuccessfulClients(3).roundRetries(1).roundTimeout(Duration.ofSeconds(20)).seed(3).build();
    RoundLoop.Result r = new RoundLoop(new SecureAggregationStrategy(new FedAvg(), sum), ClientPool.of(clients), cfg,
        RoundListener.NONE).run(INITIAL);

    assertThat(r.history().rounds().get(0).metric("round_attempts")).isEqualTo(2);
    assertThat(r.history().rounds().get(0).metric("clients_aggregated")).isEqualTo(4);
    assertThat(sum.opened).hasSize(3); // round 1 twice, round 2 once
    for (List<ClientId> ids : sum.opened) {
      assertThat(ids).as("clients of one secure sum").doesNotHaveDuplicates().hasSize(4);
    }
  }
}
