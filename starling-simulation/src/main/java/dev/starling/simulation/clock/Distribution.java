package dev.starling.simulation.clock;

import dev.starling.core.random.RandomSource;
import java.util.Locale;

/**
 * A seeded distribution of a positive quantity (a client's speed, bandwidth or latency): a constant
 * {@code V} (or {@code constant:V}), {@code lognormal:MU,SIGMA} ({@code exp(MU + SIGMA Z)}, Z standard
 * normal) or {@code uniform:LO,HI}.
 */
public sealed interface Distribution {
  /** One draw. */
  double sample(RandomSource rng);

  /** The spec this distribution was parsed from, canonical. */
  String describe();

  /** Always {@code value}. */
  record Constant(double value) implements Distribution {
    public Constant {
      if (!(value >= 0) || !Double.isFinite(value)) {
        throw new IllegalArgumentException("must be a finite value >= 0. Provided value: " + value);
      }
    }

    @Override
    public double sample(RandomSource rng) {
      return value;
    }

    @Override
    public String describe() {
      return "constant:" + value;
    }
  }

  /** {@code exp(mu + sigma Z)}: median {@code exp(mu)}. */
  record LogNormal(double mu, double sigma) implements Distribution {
    public LogNormal {
      if (!Double.isFinite(mu) || !(sigma >= 0) || !Double.isFinite(sigma)) {
        throw new IllegalArgumentException("lognormal:MU,SIGMA needs a finite MU and SIGMA >= 0. Provided value: "
            + mu + "," + sigma);
      }
    }

    @Override
    public double sample(RandomSource rng) {
      return Math.exp(mu + sigma * rng.nextGaussian());
    }

    @Override
    public String describe() {
      return "lognormal:" + mu + "," + sigma;
    }
  }

  /** Uniform on {@code [lo, hi)}. */
  record Uniform(double lo, double hi) implements Distribution {
    public Uniform {
      if (!(lo >= 0) || !(hi >= lo) || !Double.isFinite(hi)) {
        throw new IllegalArgumentException("uniform:LO,HI needs 0 <= LO <= HI. Provided value: " + lo + "," + hi);
      }
    }

    @Override
    public double sample(RandomSource rng) {
      return lo + (hi - lo) * rng.nextDouble();
    }

    @Override
    public String describe() {
      return "uniform:" + lo + "," + hi;
    }
  }

  String FORMS = "V | constant:V | lognormal:MU,SIGMA | uniform:LO,HI";

  /** Parses {@link #FORMS}; an {@link IllegalArgumentException} says what was wrong. */
  static Distribution parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String kind = colon < 0 ? "constant" : s.substring(0, colon);
    String[] a = (colon < 0 ? s : s.substring(colon + 1)).split(",");
    try {
      return switch (kind) {
        case "constant" -> {
          expect(a, 1, spec);
          yield new Constant(Double.parseDouble(a[0].trim()));
        }
        case "lognormal" -> {
          expect(a, 2, spec);
          yield new LogNormal(Double.parseDouble(a[0].trim()), Double.parseDouble(a[1].trim()));
        }
        case "uniform" -> {
          expect(a, 2, spec);
          yield new Uniform(Double.parseDouble(a[0].trim()), Double.parseDouble(a[1].trim()));
        }
        default -> throw new IllegalArgumentException("must be " + FORMS + ". Provided value: " + spec);
      };
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("must be " + FORMS + " with numbers. Provided value: " + spec, e);
    }
  }

  private static void expect(String[] a, int n, String spec) {
    if (a.length != n) {
      throw new IllegalArgumentException("must be " + FORMS + ". Provided value: " + spec);
    }
  }
}
