package dev.starling.server.sync;

import java.util.Locale;

/**
 * How clients and server synchronise ({@code --sync MODE}). {@link Sync} is the classic round loop; the
 * others run on {@link AsyncDriver} (in simulation on a virtual clock, over gRPC on the wall clock):
 * <ul>
 *   <li>{@code async[:ALPHA[,STALENESS]]}: FedAsync (Xie et al. 2019): each arriving model is mixed in as
 *       {@code x <- (1 - a) x + a x_new} with {@code a = ALPHA s(t - tau)};</li>
 *   <li>{@code buffered:K[,ETA]}: FedBuff (Nguyen et al. 2022): every K received deltas, each weighted
 *       {@code 1/sqrt(1 + tau)}, are averaged and applied with server learning rate ETA (default 1);</li>
 *   <li>{@code semi-sync:DEADLINE}: rounds close when their clients are back or at DEADLINE seconds; late
 *       updates join the next aggregation with the FedBuff staleness weight;</li>
 *   <li>{@code periodic:T}: clients train continuously; the server aggregates every T seconds whatever
 *       arrived (staleness-weighted);</li>
 *   <li>{@code event:THRESHOLD[,MAXINTERVAL]}: a client uploads only when its accumulated change since its last
 *       upload is more than THRESHOLD relative to the model's norm, else reports a skip
 *       ({@link dev.starling.core.learner.EventTrigger}); a round closes when every client
 *       reported or after MAXINTERVAL seconds (default: the round timeout).</li>
 * </ul>
 */
public sealed interface SyncPolicy {
  String FORMS = "sync | async[:ALPHA[,STALENESS]] | buffered:K[,ETA] | semi-sync:DEADLINE | periodic:T"
      + " | event:THRESHOLD[,MAXINTERVAL] (STALENESS: " + Staleness.FORMS + "; times in seconds)";

  /** The canonical spec. */
  String describe();

  /** Whether this is the classic synchronous round loop. */
  default boolean synchronous() {
    return this instanceof Sync;
  }

  /** Today's rounds, with deadline and quorum. */
  record Sync() implements SyncPolicy {
    @Override
    public String describe() {
      return "sync";
    }
  }

  /** FedAsync: mixing weight {@code alpha * staleness(t - tau)} for every arriving model. */
  record FedAsync(double alpha, Staleness staleness) implements SyncPolicy {
    public FedAsync {
      if (!(alpha > 0 && alpha <= 1)) {
        throw new IllegalArgumentException("sync async:ALPHA needs ALPHA in (0, 1]. Provided value: " + alpha);
      }
    }

    @Override
    public String describe() {
      return "async:" + alpha + "," + staleness.describe();
    }
  }

  /** FedBuff: apply the mean of every {@code k} staleness-weighted deltas with server learning rate {@code eta}. */
  record Buffered(int k, double eta) implements SyncPolicy {
    public Buffered {
      if (k < 1) {
        throw new IllegalArgumentException("sync buffered:K needs K >= 1. Provided value: " + k);
      }
      if (!(eta > 0) || !Double.isFinite(eta)) {
        throw new IllegalArgumentException("sync buffered:K,ETA needs ETA > 0. Provided value: " + eta);
      }
    }

    @Override
    public String describe() {
      return "buffered:" + k + "," + eta;
    }
  }

  /** Rounds that close at {@code deadlineSeconds}; late updates join the next aggregation. */
  record SemiSync(double deadlineSeconds) implements SyncPolicy {
    public SemiSync {
      positive(deadlineSeconds, "semi-sync:DEADLINE");
    }

    @Override
    public String describe() {
      return "semi-sync:" + deadlineSeconds;
    }
  }

  /** Aggregate every {@code periodSeconds} of clock time. */
  record Periodic(double periodSeconds) implements SyncPolicy {
    public Periodic {
      positive(periodSeconds, "periodic:T");
    }

    @Override
    public String describe() {
      return "periodic:" + periodSeconds;
    }
  }

  /**
   * Event-triggered uploads: relative accumulated change since the client's last upload at least {@code threshold};
   * {@code maxIntervalSeconds} 0: the round timeout.
   */
  record Event(double threshold, double maxIntervalSeconds) implements SyncPolicy {
    public Event {
      if (!(threshold >= 0) || !Double.isFinite(threshold)) {
        throw new IllegalArgumentException("sync event:THRESHOLD needs THRESHOLD >= 0. Provided value: " + threshold);
      }
      if (!(maxIntervalSeconds >= 0) || !Double.isFinite(maxIntervalSeconds)) {
        throw new IllegalArgumentException("sync event:THRESHOLD,MAXINTERVAL needs MAXINTERVAL >= 0. Provided value: "
            + maxIntervalSeconds);
      }
    }

    @Override
    public String describe() {
      return "event:" + threshold + (maxIntervalSeconds > 0 ? "," + maxIntervalSeconds : "");
    }
  }

  /** Parses {@link #FORMS}; an {@link IllegalArgumentException} says what was wrong. */
  static SyncPolicy parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String kind = colon < 0 ? s : s.substring(0, colon);
    String rest = colon < 0 ? "" : s.substring(colon + 1);
    try {
      return switch (kind) {
        case "sync" -> {
          noArgs(rest, spec);
          yield new Sync();
        }
        case "async" -> {
          if (rest.isEmpty()) {
            yield new FedAsync(0.6, new Staleness.Polynomial(0.5));
          }
          int comma = rest.indexOf(',');
          double alpha = Double.parseDouble(comma < 0 ? rest : rest.substring(0, comma));
          yield new FedAsync(alpha, comma < 0 ? new Staleness.Polynomial(0.5) : Staleness.parse(rest.substring(comma + 1)));
        }
        case "buffered" -> {
          String[] a = args(rest, 1, 2, spec);
          yield new Buffered(Integer.parseInt(a[0].trim()), a.length > 1 ? Double.parseDouble(a[1]) : 1.0);
        }
        case "semi-sync" -> new SemiSync(Double.parseDouble(args(rest, 1, 1, spec)[0]));
        case "periodic" -> new Periodic(Double.parseDouble(args(rest, 1, 1, spec)[0]));
        case "event" -> {
          String[] a = args(rest, 1, 2, spec);
          yield new Event(Double.parseDouble(a[0]), a.length > 1 ? Double.parseDouble(a[1]) : 0);
        }
        default -> throw new IllegalArgumentException("sync must be " + FORMS + ". Provided value: " + spec);
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("sync must be " + FORMS + " with numbers. Provided value: " + spec, e);
    }
  }

  private static void noArgs(String rest, String spec) {
    if (!rest.isEmpty()) {
      throw new IllegalArgumentException("sync must be " + FORMS + ". Provided value: " + spec);
    }
  }

  private static String[] args(String rest, int min, int max, String spec) {
    String[] a = rest.isEmpty() ? new String[0] : rest.split(",");
    if (a.length < min || a.length > max) {
      throw new IllegalArgumentException("sync must be " + FORMS + ". Provided value: " + spec);
    }
    return a;
  }

  private static void positive(double v, String what) {
    if (!(v > 0) || !Double.isFinite(v)) {
      throw new IllegalArgumentException("sync " + what + " needs a time > 0 seconds. Provided value: " + v);
    }
  }
}
