package dev.starling.transport.grpc.server;

import java.time.Duration;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Bounds how many client updates the server holds in full at once. An upload takes a slot before its
 * first chunk is read (until then gRPC flow control keeps the client waiting) and gives it back when the
 * round loop has folded the update, or when the update is rejected, cancelled or its client is lost.
 * With FedAvg-like strategies the server therefore holds the global model, the running sum and at most
 * {@code slots} updates: O(model size), whatever the number of clients.
 */
public final class UploadGate {
  private final Semaphore slots;
  private final int size;

  public UploadGate(int slots) {
    this.slots = new Semaphore(slots, true);
    this.size = slots;
  }

  private final java.util.concurrent.atomic.AtomicInteger peak = new java.util.concurrent.atomic.AtomicInteger();

  /** A slot, or null if none freed up within {@code wait}. */
  public Slot acquire(Duration wait) throws InterruptedException {
    if (!slots.tryAcquire(wait.toNanos(), TimeUnit.NANOSECONDS)) {
      return null;
    }
    peak.accumulateAndGet(inUse(), Math::max);
    return new Slot();
  }

  /** The most slots ever in use at once: the most update buffers the server held at the same time. */
  public int peakInUse() {
    return peak.get();
  }

  /** Slots in use (for tests and logs). */
  public int inUse() {
    return size - slots.availablePermits();
  }

  /** One held slot; {@link #release()} is idempotent. */
  public final class Slot {
    private final AtomicBoolean held = new AtomicBoolean(true);

    public void release() {
      if (held.compareAndSet(true, false)) {
        slots.release();
      }
    }
  }
}
