package dev.starling.server;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The time source of the {@link RoundLoop}'s deadlines (round, evaluation and availability timeouts),
 * injectable so that tests move time by hand instead of sleeping. Only differences between two readings
 * mean anything.
 */
public interface RoundClock {
  /** {@link System#nanoTime()}; deadlines complete on the JDK's shared delay scheduler. */
  RoundClock SYSTEM = new RoundClock() {
    @Override
    public long nanos() {
      return System.nanoTime();
    }

    @Override
    public CompletableFuture<Void> at(long deadlineNanos) {
      return new CompletableFuture<Void>().completeOnTimeout(null, Math.max(0, deadlineNanos - System.nanoTime()),
          TimeUnit.NANOSECONDS);
    }
  };

  /** The current reading, in nanoseconds. */
  long nanos();

  /**
   * A future that completes once this clock reads at least {@code deadlineNanos} (at once if it already
   * does). The loop may cancel it when it no longer needs it.
   */
  CompletableFuture<Void> at(long deadlineNanos);
}
