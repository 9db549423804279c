package dev.starling.server;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/** A {@link RoundClock} that moves only when a test says so; deadlines complete inside {@link #advance}. */
final class ManualRoundClock implements RoundClock {
  private long now = 1_000_000_000L; // guarded by this
  private final List<Map.Entry<Long, CompletableFuture<Void>>> pending = new ArrayList<>(); // guarded by this

  @Override
  public synchronized long nanos() {
    return now;
  }

  @Override
  public CompletableFuture<Void> at(long deadlineNanos) {
    CompletableFuture<Void> f = new CompletableFuture<>();
    synchronized (this) {
      if (now - deadlineNanos < 0) {
        pending.add(Map.entry(deadlineNanos, f));
        return f;
      }
    }
    f.complete(null);
    return f;
  }

  /** Moves the clock by {@code d} and completes the deadlines it reaches. */
  void advance(Duration d) {
    List<CompletableFuture<Void>> due = new ArrayList<>();
    synchronized (this) {
      now += d.toNanos();
      pending.removeIf(e -> {
        if (now - e.getKey() >= 0) {
          due.add(e.getValue());
          return true;
        }
        return false;
      });
    }
    due.forEach(f -> f.complete(null));
  }

  /** Deadlines armed and not yet reached (cancelled ones included). */
  synchronized int pendingDeadlines() {
    return pending.size();
  }
}
