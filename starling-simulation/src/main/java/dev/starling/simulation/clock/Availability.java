package dev.starling.simulation.clock;

import java.util.Arrays;

/**
 * When a virtual client may be given a job: windows {@code [start, end)} in simulated seconds, ascending and
 * not overlapping ({@link ClientTrace}), or {@link #ALWAYS}.
 */
public final class Availability {
  /** Available at all times. */
  public static final Availability ALWAYS = new Availability(new double[] {0}, new double[] {Double.POSITIVE_INFINITY});

  private final double[] starts;
  private final double[] ends;

  Availability(double[] starts, double[] ends) {
    this.starts = starts.clone();
    this.ends = ends.clone();
  }

  /** Whether the client is available at simulated time {@code t}. */
  public boolean at(double t) {
    int i = window(t);
    return i >= 0 && t < ends[i];
  }

  /** The earliest time {@code >= t} at which the client is available; infinity if never again. */
  public double next(double t) {
    int i = window(t);
    if (i >= 0 && t < ends[i]) {
      return t;
    }
    return i + 1 < starts.length ? starts[i + 1] : Double.POSITIVE_INFINITY;
  }

  /** The index of the last window starting at or before {@code t}, or -1. */
  private int window(double t) {
    int i = Arrays.binarySearch(starts, t);
    return i >= 0 ? i : -i - 2;
  }

  @Override
  public String toString() {
    if (this == ALWAYS) {
      return "always";
    }
    StringBuilder b = new StringBuilder();
    for (int i = 0; i < starts.length; i++) {
      b.append(i > 0 ? ";" : "").append(starts[i]).append('-').append(ends[i]);
    }
    return b.toString();
  }
}
