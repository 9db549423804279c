package dev.starling.simulation.clock;

import dev.starling.core.random.RandomSource;
import java.util.Objects;
import java.util.Optional;

/**
 * How the virtual clients' hardware is drawn: compute speed and link from seeded distributions, and a
 * fraction of slow clients whose compute speed is divided by a factor ("10% of the clients are 10x
 * slower"). Profiles depend only on the seed and the client index, so a run is reproducible.
 *
 * @param speed samples per second of local training
 * @param bandwidth link bandwidth in megabytes (10^6 bytes) per second
 * @param latency one-way latency in seconds
 * @param slowFraction fraction of clients that are slow, in [0, 1]
 * @param slowFactor how many times slower a slow client computes, >= 1
 * @param trace per-client profiles and availability windows from a file, replacing the distributions; empty: drawn
 */
public record ClientClock(Distribution speed, Distribution bandwidth, Distribution latency, double slowFraction,
    double slowFactor, Optional<ClientTrace> trace) {
  private static final long SPEED_STREAM = 0x5BEEDL;
  private static final long LINK_STREAM = 0x714CL;
  private static final long SLOW_STREAM = 0x5104L;

  /** Default speed: 10,000 samples/s. */
  public static final String DEFAULT_SPEED = "10000";
  /** Default link: 10 MB/s, 50 ms one way. */
  public static final String DEFAULT_LINK = "10/0.05";

  /** Profiles drawn from the distributions (no trace). */
  public ClientClock(Distribution speed, Distribution bandwidth, Distribution latency, double slowFraction,
      double slowFactor) {
    this(speed, bandwidth, latency, slowFraction, slowFactor, Optional.empty());
  }

  /** This clock with every client's profile and availability taken from {@code t} ({@code --client-trace}). */
  public ClientClock withTrace(ClientTrace t) {
    return new ClientClock(speed, bandwidth, latency, slowFraction, slowFactor, Optional.of(t));
  }

  public ClientClock {
    Objects.requireNonNull(trace, "trace");
    Objects.requireNonNull(speed, "speed");
    Objects.requireNonNull(bandwidth, "bandwidth");
    Objects.requireNonNull(latency, "latency");
    if (!(slowFraction >= 0 && slowFraction <= 1)) {
      throw new IllegalArgumentException("slow-fraction must be in [0, 1]. Provided value: " + slowFraction);
    }
    if (!(slowFactor >= 1) || !Double.isFinite(slowFactor)) {
      throw new IllegalArgumentException("slow-factor must be >= 1. Provided value: " + slowFactor);
    }
  }

  /** Every client at {@link #DEFAULT_SPEED} on a {@link #DEFAULT_LINK} link. */
  public static ClientClock defaults() {
    return parse(DEFAULT_SPEED, DEFAULT_LINK, 0, 1);
  }

  /**
   * {@code speed}: a {@link Distribution} of samples/s; {@code link}: {@code BANDWIDTH[/LATENCY]}, a
   * distribution of MB/s, then optionally one of seconds (default 0.05).
   */
  public static ClientClock parse(String speed, String link, double slowFraction, double slowFactor) {
    Distribution s;
    try {
      s = Distribution.parse(speed);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("client-speed " + e.getMessage(), e);
    }
    String[] l = link.split("/");
    if (l.length > 2) {
      throw new IllegalArgumentException("client-link must be BANDWIDTH[/LATENCY] (MB/s, seconds), each "
          + Distribution.FORMS + ". Provided value: " + link);
    }
    Distribution bw;
    Distribution lat;
    try {
      bw = Distribution.parse(l[0]);
      lat = Distribution.parse(l.length > 1 ? l[1] : "0.05");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("client-link " + e.getMessage(), e);
    }
    return new ClientClock(s, bw, lat, slowFraction, slowFactor);
  }

  /** The profiles of {@code n} clients for {@code seed}: index i gets the same profile whatever n is beyond i. */
  public ClientProfile[] profiles(int n, long seed) {
    RandomSource root = RandomSource.seeded(seed);
    int slow = (int) Math.round(slowFraction * n);
    int[] order = root.derive(SLOW_STREAM).permutation(n);
    boolean[] isSlow = new boolean[n];
    for (int i = 0; i < slow; i++) {
      isSlow[order[i]] = true;
    }
    ClientProfile[] out = new ClientProfile[n];
    for (int i = 0; i < n; i++) {
      double sp = speed.sample(root.derive(SPEED_STREAM, i));
      RandomSource link = root.derive(LINK_STREAM, i);
      double bw = bandwidth.sample(link) * 1e6;
      double lat = latency.sample(link);
      if (!(sp > 0) || !(bw > 0)) {
        throw new IllegalArgumentException("client " + i + " drew speed " + sp + " samples/s and bandwidth " + bw
            + " B/s; both must be > 0 (client-speed " + speed.describe() + ", client-link " + bandwidth.describe() + ")");
      }
      out[i] = new ClientProfile(isSlow[i] ? sp / slowFactor : sp, bw, lat);
    }
    return out;
  }

  public String describe() {
    if (trace.isPresent()) {
      return trace.get().describe();
    }
    return "speed " + speed.describe() + " samples/s, link " + bandwidth.describe() + " MB/s / " + latency.describe()
        + " s" + (slowFraction > 0 ? ", " + slowFraction + " of clients " + slowFactor + "x slower" : "");
  }
}
