package dev.starling.simulation.clock;

/**
 * One virtual client's hardware on the virtual clock: how fast it trains and how fast its link is.
 *
 * @param samplesPerSecond examples processed per second of local training (one example of one epoch)
 * @param bytesPerSecond link bandwidth, both ways
 * @param latencySeconds one-way latency of a message
 */
public record ClientProfile(double samplesPerSecond, double bytesPerSecond, double latencySeconds) {
  /** The least a job lasts, so that simulated time always advances. */
  public static final double MIN_JOB_SECONDS = 1e-3;

  public ClientProfile {
    if (!(samplesPerSecond > 0) || !(bytesPerSecond > 0) || !(latencySeconds >= 0)
        || !Double.isFinite(latencySeconds)) {
      throw new IllegalArgumentException("a client profile needs speed > 0, bandwidth > 0 and latency >= 0. Provided"
          + " value: " + samplesPerSecond + " samples/s, " + bytesPerSecond + " B/s, " + latencySeconds + " s");
    }
  }

  /** Seconds of local training over {@code samples} examples (examples x epochs). */
  public double computeSeconds(long samples) {
    return samples / samplesPerSecond;
  }

  /** Seconds to move {@code bytes} one way, latency included. */
  public double transferSeconds(long bytes) {
    return latencySeconds + bytes / bytesPerSecond;
  }

  /** A whole job: download, train, upload, never less than {@link #MIN_JOB_SECONDS}. */
  public double jobSeconds(long samples, long bytesDown, long bytesUp) {
    return Math.max(MIN_JOB_SECONDS, transferSeconds(bytesDown) + computeSeconds(samples) + transferSeconds(bytesUp));
  }
}
