package dev.starling.simulation;

import java.util.concurrent.atomic.LongAdder;

/**
 * Totals of local training work across all virtual clients: samples processed (examples x epochs) and
 * the summed wall time of the fit calls (which run in parallel, so this is worker time, not run time).
 * Thread-safe.
 */
public final class TrainingStats {
  private final LongAdder samples = new LongAdder();
  private final LongAdder nanos = new LongAdder();
  private final LongAdder fits = new LongAdder();

  /** Records one fit of {@code sampleCount} samples (examples x epochs) that took {@code elapsedNanos}. */
  public void record(long sampleCount, long elapsedNanos) {
    samples.add(sampleCount);
    nanos.add(elapsedNanos);
    fits.increment();
  }

  public long samples() {
    return samples.sum();
  }

  public long fits() {
    return fits.sum();
  }

  /** Summed seconds spent inside local training, over all workers. */
  public double workerSeconds() {
    return nanos.sum() / 1e9;
  }

  /** Samples per second of one worker thread, or NaN before any training. */
  public double samplesPerWorkerSecond() {
    double s = workerSeconds();
    return s == 0 ? Double.NaN : samples() / s;
  }
}
