package dev.starling.transport.grpc.server;

import dev.starling.transport.grpc.wire.FeatureSums;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The standardisation statistics clients report (agreed standardisation): its one job is to collect them,
 * by client id, when the run asked for them, and to let the caller wait for enough of them. Thread-safe.
 */
final class StatisticsAgreement {
  private static final System.Logger LOG = System.getLogger(FederationServer.class.getName());

  private final Ticker ticker;
  private volatile boolean asked;
  /** Guarded by itself. */
  private final Map<String, FeatureSums> statistics = new LinkedHashMap<>();

  /** {@code ticker}: the server's, which {@link #await} reads for its deadline. */
  StatisticsAgreement(Ticker ticker) {
    this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
  }

  /** The run asks every client for its statistics. */
  void ask() {
    asked = true;
  }

  boolean asked() {
    return asked;
  }

  /** The statistics reported so far, by client id (a copy). */
  Map<String, FeatureSums> reported() {
    synchronized (statistics) {
      return Map.copyOf(statistics);
    }
  }

  /**
   * Waits until at least {@code clients} clients have reported their statistics or {@code timeout} has
   * passed on the server's ticker, and returns those reported by then. The wait re-reads the ticker when a
   * report arrives, when {@link #checkDeadline} is called (the server's periodic timeout check; tests call it
   * after moving a manual ticker) and at the latest when {@code timeout}'s remainder has passed in wall time.
   */
  Map<String, FeatureSums> await(int clients, Duration timeout) throws InterruptedException {
    long end = ticker.nanos() + timeout.toNanos();
    synchronized (statistics) {
      long left;
      while (statistics.size() < clients && (left = end - ticker.nanos()) > 0) {
        TimeUnit.NANOSECONDS.timedWait(statistics, left);
      }
      return Map.copyOf(statistics);
    }
  }

  /** Wakes {@link #await} to compare its deadline with the ticker's current reading. */
  void checkDeadline() {
    synchronized (statistics) {
      statistics.notifyAll();
    }
  }

  /** Client {@code client} reported {@code p}; ignored (with a warning) when not asked for or unusable. */
  void onStatistics(String client, dev.starling.transport.grpc.proto.FeatureStatistics p) {
    if (!asked) {
      LOG.log(Level.WARNING, "client {0} sent standardisation statistics this run did not ask for; ignored", client);
      return;
    }
    FeatureSums f;
    try {
      f = FeatureSums.fromProto(p);
    } catch (IllegalArgumentException e) {
      LOG.log(Level.WARNING, "client {0} sent unusable standardisation statistics ({1}); it is not counted in the"
          + " agreement", new Object[] {client, e.getMessage()});
      return;
    }
    synchronized (statistics) {
      statistics.put(client, f);
      statistics.notifyAll();
    }
  }
}
