package dev.starling.cli;

import dev.starling.privacy.accounting.NoiseCalibration;
import dev.starling.privacy.accounting.PrivacyAccountant;
import java.io.PrintStream;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code starling privacy}: differential-privacy accounting from the command line. */
@Command(name = "privacy", mixinStandardHelpOptions = true,
    description = "Differential-privacy accounting for the Poisson-subsampled Gaussian mechanism (DP-SGD, DP-FedAvg).",
    subcommands = {PrivacyCommand.Epsilon.class, PrivacyCommand.Noise.class, CommandLine.HelpCommand.class})
final class PrivacyCommand implements Runnable {
  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    throw new CommandLine.ParameterException(spec.commandLine(), "missing command: try 'starling privacy epsilon --help'");
  }

  /** Options shared by both subcommands. */
  static class Common {
    @Option(names = "--sampling-rate", paramLabel = "Q", required = true,
        description = "Probability that a unit (example or client) takes part in a step, in (0, 1].")
    double samplingRate;

    @Option(names = "--steps", paramLabel = "T", required = true, description = "Number of noisy steps (or rounds).")
    long steps;

    @Option(names = "--delta", paramLabel = "D", defaultValue = "1e-5", description = "Target delta. Default: ${DEFAULT-VALUE}.")
    double delta;

    @Option(names = "--accountant", paramLabel = "rdp|prv", defaultValue = "rdp",
        description = "rdp (Renyi DP, Mironov et al.) or prv (numerical privacy-loss composition, tighter). Default: ${DEFAULT-VALUE}.")
    String accountant;
  }

  /** {@code starling privacy epsilon}. */
  @Command(name = "epsilon", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Prints the epsilon spent by T steps with sampling rate Q and noise multiplier Z at delta D.")
  static final class Epsilon implements Callable<Integer> {
    @CommandLine.Mixin
    Common common = new Common();

    @Option(names = "--noise-multiplier", paramLabel = "Z", required = true,
        description = "Noise standard deviation divided by the clipping norm.")
    double noiseMultiplier;

    @Override
    public Integer call() {
      PrivacyAccountant a = PrivacyAccountant.named(common.accountant);
      double eps = a.epsilon(common.samplingRate, noiseMultiplier, common.steps, common.delta);
      PrintStream out = System.out;
      out.printf(Locale.ROOT, "epsilon %.6f%n", eps);
      out.printf(Locale.ROOT, "  (accountant %s, sampling rate %s, noise multiplier %s, steps %d, delta %s;%n",
          a.name(), common.samplingRate, noiseMultiplier, common.steps, common.delta);
      out.println("   add-or-remove-one adjacency, Poisson sampling)");
      return 0;
    }
  }

  /** {@code starling privacy noise}. */
  @Command(name = "noise", mixinStandardHelpOptions = true, sortOptions = false,
      description = "Prints the smallest noise multiplier Z whose T steps spend at most the target epsilon at delta D.")
  static final class Noise implements Callable<Integer> {
    @CommandLine.Mixin
    Common common = new Common();

    @Option(names = "--target-epsilon", paramLabel = "E", required = true, description = "The epsilon budget.")
    double targetEpsilon;

    @Override
    public Integer call() {
      PrivacyAccountant a = PrivacyAccountant.named(common.accountant);
      double z = NoiseCalibration.noiseMultiplier(a, common.samplingRate, common.steps, targetEpsilon, common.delta);
      double eps = a.epsilon(common.samplingRate, z, common.steps, common.delta);
      System.out.printf(Locale.ROOT, "noise multiplier %.4f%n", z);
      System.out.printf(Locale.ROOT, "  (gives epsilon %.6f <= %s at delta %s; accountant %s, sampling rate %s, steps %d)%n",
          eps, targetEpsilon, common.delta, a.name(), common.samplingRate, common.steps);
      return 0;
    }
  }
}
