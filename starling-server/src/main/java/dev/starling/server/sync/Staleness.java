package dev.starling.server.sync;

import java.util.Locale;

/**
 * FedAsync's staleness functions s(t - tau) (Xie et al. 2019, "Asynchronous Federated Optimization",
 * section 5.2), which scale the mixing weight of an update trained from version tau when the server is
 * at version t: {@code constant} (1), {@code poly:A} ((t - tau + 1)^-A) and {@code hinge:A,B} (1 if
 * {@code t - tau <= B}, else {@code 1 / (A (t - tau - B) + 1)}).
 */
public sealed interface Staleness {
  /** The weight of an update {@code staleness} = t - tau >= 0 versions old, in (0, 1]. */
  double weight(int staleness);

  String describe();

  String FORMS = "constant | poly:A | hinge:A,B";

  /** s = 1. */
  record Constant() implements Staleness {
    @Override
    public double weight(int staleness) {
      return 1;
    }

    @Override
    public String describe() {
      return "constant";
    }
  }

  /** s = (staleness + 1)^-a. */
  record Polynomial(double a) implements Staleness {
    public Polynomial {
      if (!(a >= 0) || !Double.isFinite(a)) {
        throw new IllegalArgumentException("staleness poly:A needs A >= 0. Provided value: " + a);
      }
    }

    @Override
    public double weight(int staleness) {
      return Math.pow(staleness + 1.0, -a);
    }

    @Override
    public String describe() {
      return "poly:" + a;
    }
  }

  /** s = 1 up to b versions, then 1 / (a (staleness - b) + 1). */
  record Hinge(double a, int b) implements Staleness {
    public Hinge {
      if (!(a >= 0) || !Double.isFinite(a) || b < 0) {
        throw new IllegalArgumentException("staleness hinge:A,B needs A >= 0 and B >= 0. Provided value: " + a + "," + b);
      }
    }

    @Override
    public double weight(int staleness) {
      return staleness <= b ? 1 : 1 / (a * (staleness - b) + 1);
    }

    @Override
    public String describe() {
      return "hinge:" + a + "," + b;
    }
  }

  /** FedBuff's weight 1 / sqrt(1 + staleness) (Nguyen et al. 2022). */
  static double fedBuff(int staleness) {
    return 1 / Math.sqrt(1.0 + staleness);
  }

  /** Parses {@link #FORMS}. */
  static Staleness parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String kind = colon < 0 ? s : s.substring(0, colon);
    String[] a = colon < 0 ? new String[0] : s.substring(colon + 1).split(",");
    try {
      return switch (kind) {
        case "constant" -> {
          if (a.length != 0) {
            throw new IllegalArgumentException("staleness must be " + FORMS + ". Provided value: " + spec);
          }
          yield new Constant();
        }
        case "poly" -> {
          if (a.length != 1) {
            throw new IllegalArgumentException("staleness must be " + FORMS + ". Provided value: " + spec);
          }
          yield new Polynomial(Double.parseDouble(a[0]));
        }
        case "hinge" -> {
          if (a.length != 2) {
            throw new IllegalArgumentException("staleness must be " + FORMS + ". Provided value: " + spec);
          }
          yield new Hinge(Double.parseDouble(a[0]), Integer.parseInt(a[1].trim()));
        }
        default -> throw new IllegalArgumentException("staleness must be " + FORMS + ". Provided value: " + spec);
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("staleness must be " + FORMS + " with numbers. Provided value: " + spec, e);
    }
  }
}
