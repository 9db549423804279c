package dev.starling.strategy.robust;

import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategy;
import java.util.Locale;

/**
 * Builds the robust strategies from their command-line spec (case-insensitive, spaces ignored):
 * <ul>
 *   <li>{@code median}: {@link CoordinateMedian};</li>
 *   <li>{@code trimmed:BETA}: {@link TrimmedMean}, BETA in [0, 0.5), e.g. {@code trimmed:0.1};</li>
 *   <li>{@code krum:F}: {@link Krum}; {@code multikrum:F} or {@code multikrum:F,M}: {@link MultiKrum}
 *       (M defaults to n - F); {@code bulyan:F}: {@link Bulyan};</li>
 *   <li>{@code normbound:MAXNORM}: {@link NormBoundedStrategy} around example-weighted {@link FedAvg}.</li>
 * </ul>
 * Stateless.
 */
public final class RobustRules {
  /** The valid spec forms, for help texts and error messages. */
  public static final String FORMS = "median | trimmed:BETA | krum:F | multikrum:F[,M] | bulyan:F | normbound:MAXNORM";

  private RobustRules() {}

  /**
   * The strategy for {@code spec}. Throws {@link IllegalArgumentException} naming the valid forms for
   * an unknown or malformed spec, and the constructor's message for an out-of-range value.
   */
  public static Strategy parse(String spec) {
    String s = spec.replace(" ", "").toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String name = colon < 0 ? s : s.substring(0, colon);
    String args = colon < 0 ? null : s.substring(colon + 1);
    return switch (name) {
      case "median" -> {
        requireNoArgs(args, spec);
        yield new CoordinateMedian();
      }
      case "trimmed" -> new TrimmedMean(number(args, "trimmed:BETA", "a number BETA", spec));
      case "krum" -> new Krum(integer(args, "krum:F", "an integer F", spec));
      case "bulyan" -> new Bulyan(integer(args, "bulyan:F", "an integer F", spec));
      case "multikrum" -> multiKrum(args, spec);
      case "normbound" -> new NormBoundedStrategy(new FedAvg(), number(args, "normbound:MAXNORM", "a number MAXNORM", spec));
      default -> throw new IllegalArgumentException("robust strategy must be one of " + FORMS + ". Provided value: " + spec);
    };
  }

  private static Strategy multiKrum(String args, String spec) {
    if (args == null || args.isEmpty()) {
      throw malformed("multikrum:F[,M]", "integers F and optionally M", spec);
    }
    int comma = args.indexOf(',');
    if (comma < 0) {
      return new MultiKrum(integer(args, "multikrum:F[,M]", "integers F and optionally M", spec));
    }
    return new MultiKrum(integer(args.substring(0, comma), "multikrum:F[,M]", "integers F and optionally M", spec),
        integer(args.substring(comma + 1), "multikrum:F[,M]", "integers F and optionally M", spec));
  }

  private static void requireNoArgs(String args, String spec) {
    if (args != null) {
      throw new IllegalArgumentException("robust strategy 'median' takes no arguments; valid forms: " + FORMS + ". Provided value: " + spec);
    }
  }

  private static int integer(String args, String form, String what, String spec) {
    try {
      return Integer.parseInt(args == null ? "" : args);
    } catch (NumberFormatException e) {
      throw malformed(form, what, spec);
    }
  }

  private static double number(String args, String form, String what, String spec) {
    try {
      return Double.parseDouble(args == null ? "" : args);
    } catch (NumberFormatException e) {
      throw malformed(form, what, spec);
    }
  }

  private static IllegalArgumentException malformed(String form, String what, String spec) {
    return new IllegalArgumentException("robust strategy '" + form + "' needs " + what + "; valid forms: " + FORMS + ". Provided value: " + spec);
  }
}
