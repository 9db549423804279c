package dev.starling.simulation;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import java.time.Duration;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The virtual clock of synchronous rounds: a round lasts as long as its slowest kept client, or its
 * deadline if a client's simulated job was longer (that client then fails with
 * {@link ErrorCode#DEADLINE_EXCEEDED}, as if it had missed the deadline). Simulated time is reported as
 * {@code sim_seconds} after every round. A client that drops out costs no time (the server is told at
 * once). With round retries a round's duration is that of its longest attempt.
 */
final class SyncClock {
  static final String SIM_SECONDS = "sim_seconds";

  private final double deadlineSeconds;
  private final ConcurrentHashMap<Integer, Double> roundSeconds = new ConcurrentHashMap<>();
  private double now;

  SyncClock(Duration deadline) {
    this.deadlineSeconds = deadline.toNanos() / 1e9;
  }

  /** Continues the clock from {@code seconds} (a resumed run's last {@code sim_seconds}). */
  synchronized void resumeAt(double seconds) {
    now = seconds;
  }

  /** {@code c} as the round loop sees it: its jobs take simulated time and can miss the deadline. */
  ClientProxy wrap(VirtualClient c) {
    return new ClientProxy() {
      @Override
      public ClientId id() {
        return c.id();
      }

      @Override
      public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
        return c.fitTimed(global, config).thenApply(t -> {
          roundSeconds.merge(config.round(), Math.min(t.seconds(), deadlineSeconds), Math::max);
          if (t.seconds() > deadlineSeconds) {
            throw new FlException(ErrorCode.DEADLINE_EXCEEDED, String.format(Locale.ROOT,
                "simulated job of %.3f s exceeds the round deadline of %.3f s", t.seconds(), deadlineSeconds));
          }
          return t.outcome().withSeconds(t.seconds());
        });
      }

      @Override
      public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
        return c.evaluate(global);
      }
    };
  }

  /** {@code s} reporting {@code sim_seconds} after each round (called once per round, after its updates). */
  Strategy reporting(Strategy s) {
    return new ForwardingStrategy(s) {
      @Override
      public Optional<Metrics> evaluate(int round, ParameterSet global) {
        Double d = roundSeconds.remove(round);
        now += d == null ? 0 : d;
        Metrics own = super.evaluate(round, global).orElse(Metrics.empty());
        return Optional.of(own.with(Metrics.of(SIM_SECONDS, now)));
      }
    };
  }
}
