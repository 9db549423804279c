package dev.starling.cli;

import dev.starling.run.InvalidRunException;
import dev.starling.run.RunSpec;
import java.util.Optional;
import java.util.OptionalDouble;
import picocli.CommandLine.Option;

/** The privacy flags of {@code simulate}; {@link #privacy()} maps them onto {@link RunSpec.Privacy}. */
final class PrivacyOptions {
  @Option(names = "--dp", paramLabel = "SPEC",
      description = "Differential privacy: " + RunSpec.Dp.FORMS + ". Default: none.")
  String dp;

  @Option(names = "--target-epsilon", paramLabel = "E",
      description = "Privacy budget: refuse to start if one round exceeds it, stop before the round that would (needs --dp).")
  Double targetEpsilon;

  @Option(names = "--delta", paramLabel = "D", defaultValue = "" + RunSpec.Defaults.DELTA,
      description = "Delta of the reported epsilon. Default: ${DEFAULT-VALUE}.")
  double delta = RunSpec.Defaults.DELTA;

  @Option(names = "--accountant", paramLabel = "rdp|prv", defaultValue = RunSpec.Defaults.ACCOUNTANT,
      description = "Privacy accountant. Default: ${DEFAULT-VALUE}.")
  String accountant = RunSpec.Defaults.ACCOUNTANT;

  @Option(names = "--dp-noise", paramLabel = "secure|seeded", defaultValue = RunSpec.Defaults.DP_NOISE,
      description = "Noise source: secure (SecureRandom) or seeded by --seed (reproducible research runs only). Default: ${DEFAULT-VALUE}.")
  String noise = RunSpec.Defaults.DP_NOISE;

  @Option(names = "--secagg", paramLabel = "DROPOUT[,MAXABS[,NEIGHBOURS]]",
      description = "Secure aggregation surviving the drop-out of floor(DROPOUT k) of each round's k clients (DROPOUT"
          + " < 0.5; refused before round 1 when a threshold above k/2 cannot keep that, e.g. 4 clients with 0.25);"
          + " update coordinates must lie in [-MAXABS, MAXABS] (default 8); NEIGHBOURS (even): SecAgg+, each client"
          + " masks with that many ring neighbours instead of everyone (default 0: everyone). Default: off.")
  String secagg;

  @Option(names = "--secagg-auth", description = "With --secagg: the authenticated (actively secure) variant: every client"
      + " signs its keys with an Ed25519 identity key and the survivors sign the survivor list and key directory"
      + " (consistency check) before any share is revealed.")
  boolean secaggAuth;

  @Option(names = "--dp-sgd", paramLabel = "CLIP,Z",
      description = "Example-level DP-SGD in every client's local training: per-example clip norm and noise multiplier. Default: off.")
  String dpSgd;

  /** The flags as the run specification's privacy settings. */
  RunSpec.Privacy privacy() {
    if (secaggAuth && secagg == null) {
      throw new InvalidRunException("secagg-auth", "needs --secagg (it authenticates secure aggregation)");
    }
    if (dp != null && dpSgd != null) {
      throw new InvalidRunException("dp-sgd", "cannot be combined with --dp: choose example-level (--dp-sgd) or"
          + " user-level (--dp) privacy");
    }
    RunSpec.Dp mode = dp != null ? RunSpec.Dp.parse(dp) : dpSgd != null ? RunSpec.Dp.parseSgd(dpSgd) : new RunSpec.Dp.None();
    return new RunSpec.Privacy(mode, targetEpsilon == null ? OptionalDouble.empty() : OptionalDouble.of(targetEpsilon), delta,
        accountant.trim().toLowerCase(java.util.Locale.ROOT), RunSpec.Privacy.parseNoise(noise),
        Optional.ofNullable(secagg).map(RunSpec.SecAgg::parse).map(a -> a.withAuthentication(secaggAuth)));
  }
}
