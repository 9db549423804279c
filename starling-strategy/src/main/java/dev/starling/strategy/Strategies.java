package dev.starling.strategy;

import dev.starling.strategy.robust.RobustRules;
import java.util.Locale;

/**
 * Builds strategies from their command-line spec. Forms (case-insensitive):
 * <pre>
 *   fedavg | avg | fedprox:MU | fedavgm[:ETA[,BETA]] | fedadam[:ETA] | fedyogi[:ETA] | fedadagrad[:ETA]
 *   fednova | scaffold[:ETA_G]
 *   median | trimmed:BETA | krum:F | multikrum:F[,M] | bulyan:F | normbound:MAXNORM
 * </pre>
 * The server optimisers take their other hyper-parameters from {@link ServerOptConfig#defaults()}.
 */
public final class Strategies {
  private static final java.util.Set<String> ROBUST =
      java.util.Set.of("median", "trimmed", "krum", "multikrum", "bulyan", "normbound");

  private Strategies() {}

  /** The valid spec forms, for help texts and error messages. */
  public static final String FORMS = "fedavg | avg | fedprox:MU | fedavgm[:ETA[,BETA]] | fedadam[:ETA] | fedyogi[:ETA]"
      + " | fedadagrad[:ETA] | fednova | scaffold[:ETA_G] | " + RobustRules.FORMS;

  /**
   * The strategy named by {@code spec} ({@code NAME[:ARG]}), built by the {@link StrategyProvider} that
   * answers NAME: the built-ins or one found on the class path.
   */
  public static Strategy parse(String spec) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    int colon = s.indexOf(':');
    String name = colon < 0 ? s : s.substring(0, colon);
    String arg = colon < 0 ? null : s.substring(colon + 1);
    StrategyProvider p = Providers.BY_NAME.get(name);
    if (p == null) {
      throw new IllegalArgumentException("strategy must be one of " + Providers.FORMS + ". Provided value: " + spec);
    }
    return p.create(name, arg);
  }

  /** The providers on the class path, by name, loaded once. */
  private static final class Providers {
    static final java.util.Map<String, StrategyProvider> BY_NAME = new java.util.LinkedHashMap<>();
    static final String FORMS;

    static {
      java.util.List<String> forms = new java.util.ArrayList<>();
      for (StrategyProvider p : java.util.ServiceLoader.load(StrategyProvider.class, Strategies.class.getClassLoader())) {
        for (String n : p.names()) {
          StrategyProvider old = BY_NAME.putIfAbsent(n.toLowerCase(Locale.ROOT), p);
          if (old != null) {
            throw new IllegalStateException("strategy name '" + n + "' is provided twice: by " + old.getClass().getName()
                + " and " + p.getClass().getName());
          }
        }
        forms.add(p.forms());
      }
      FORMS = String.join(" | ", forms);
    }
  }

  /** The built-in strategies, registered as a {@link StrategyProvider} like any other. */
  public static final class Builtin implements StrategyProvider {
    @Override
    public java.util.Set<String> names() {
      return java.util.Set.of("fedavg", "avg", "fednova", "fedprox", "scaffold", "fedavgm", "fedadam", "fedyogi",
          "fedadagrad", "median", "trimmed", "krum", "multikrum", "bulyan", "normbound");
    }

    @Override
    public String forms() {
      return FORMS;
    }

    @Override
    public Strategy create(String name, String arg) {
      return builtin(name, arg, arg == null ? name : name + ":" + arg);
    }
  }

  private static Strategy builtin(String name, String arg, String spec) {
    try {
      switch (name) {
        case "fedavg":
          return noArg(arg, spec, new FedAvg());
        case "avg":
          return noArg(arg, spec, FedAvg.plainAverage());
        case "fednova":
          return noArg(arg, spec, new FedNova());
        case "fedprox":
          return new FedProx(number(required(arg, spec)));
        case "scaffold":
          return arg == null ? new Scaffold() : new Scaffold(number(arg));
        case "fedavgm": {
          if (arg == null) {
            return new FedAvgM();
          }
          String[] p = arg.split(",");
          return new FedAvgM(new FedAvg(), number(p[0]), p.length > 1 ? number(p[1]) : 0.9);
        }
        case "fedadam":
          return new FedAdam(new FedAvg(), opt(arg));
        case "fedyogi":
          return new FedYogi(new FedAvg(), opt(arg));
        case "fedadagrad":
          return new FedAdagrad(new FedAvg(), opt(arg));
        default:
          if (ROBUST.contains(name)) {
            return RobustRules.parse(spec);
          }
          throw new IllegalArgumentException("strategy must be one of " + FORMS + ". Provided value: " + spec);
      }
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException("strategy '" + spec + "' has a malformed number; forms: " + FORMS, e);
    }
  }

  private static ServerOptConfig opt(String eta) {
    ServerOptConfig d = ServerOptConfig.defaults();
    return eta == null ? d : new ServerOptConfig(number(eta), d.beta1(), d.beta2(), d.tau());
  }

  private static Strategy noArg(String arg, String spec, Strategy s) {
    if (arg != null) {
      throw new IllegalArgumentException("strategy '" + spec + "' takes no parameter; forms: " + FORMS);
    }
    return s;
  }

  private static String required(String arg, String spec) {
    if (arg == null || arg.isBlank()) {
      throw new IllegalArgumentException("strategy '" + spec + "' needs a parameter; forms: " + FORMS);
    }
    return arg;
  }

  private static double number(String v) {
    return Double.parseDouble(v.trim());
  }
}
