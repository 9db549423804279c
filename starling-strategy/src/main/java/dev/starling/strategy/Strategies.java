package dev.starling.strategy;

import java.util.Locale;

/** Builds strategies from their command-line spec: {@code fedavg}, {@code avg}, {@code fedprox:MU}. */
public final class Strategies {
  private Strategies() {}

  /** The valid spec forms, for help texts and error messages. */
  public static final String FORMS = "fedavg | avg | fedprox:MU";

  public static Strategy parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (s.equals("fedavg")) {
      return new FedAvg();
    }
    if (s.equals("avg")) {
      return FedAvg.plainAverage();
    }
    if (s.startsWith("fedprox:")) {
      try {
        return new FedProx(Double.parseDouble(s.substring("fedprox:".length())));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("strategy 'fedprox:MU' needs a number MU. Provided value: " + spec);
      }
    }
    throw new IllegalArgumentException("strategy must be one of " + FORMS + ". Provided value: " + spec);
  }
}
