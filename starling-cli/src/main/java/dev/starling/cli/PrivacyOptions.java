package dev.starling.cli;

import dev.starling.core.random.RandomSource;
import dev.starling.privacy.accounting.PrivacyAccountant;
import dev.starling.privacy.dp.CentralDpConfig;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.privacy.dp.CentralDpStrategy;
import dev.starling.privacy.dp.DpSgdStrategy;
import dev.starling.privacy.dp.LocalDpConfig;
import dev.starling.privacy.dp.LocalDpStrategy;
import dev.starling.privacy.dp.PrivateStrategy;
import dev.starling.privacy.secagg.SecAggSpec;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.server.StopCondition;
import dev.starling.strategy.Strategy;
import java.util.List;
import java.util.Locale;
import java.util.OptionalDouble;
import picocli.CommandLine.Option;

/** The privacy flags of {@code simulate}: they wrap the strategy in DP decorators and add the budget stop. */
final class PrivacyOptions {
  @Option(names = "--dp", paramLabel = "SPEC",
      description = "Differential privacy: central:CLIP,Z | central-adaptive:QUANTILE,Z | local:CLIP,SIGMA. Default: none.")
  String dp;

  @Option(names = "--target-epsilon", paramLabel = "E",
      description = "Privacy budget: refuse to start if one round exceeds it, stop before the round that would (needs --dp).")
  Double targetEpsilon;

  @Option(names = "--delta", paramLabel = "D", defaultValue = "1e-5", description = "Delta of the reported epsilon. Default: ${DEFAULT-VALUE}.")
  double delta;

  @Option(names = "--accountant", paramLabel = "rdp|prv", defaultValue = "rdp",
      description = "Privacy accountant. Default: ${DEFAULT-VALUE}.")
  String accountant;

  @Option(names = "--dp-noise", paramLabel = "secure|seeded", defaultValue = "secure",
      description = "Noise source: secure (SecureRandom) or seeded by --seed (reproducible research runs only). Default: ${DEFAULT-VALUE}.")
  String noise;

  @Option(names = "--secagg", paramLabel = "DROPOUT[,MAXABS[,NEIGHBOURS]]",
      description = "Secure aggregation tolerating drop-out of a fraction DROPOUT (< 0.5) of each round's clients;"
          + " update coordinates must lie in [-MAXABS, MAXABS] (default 8); NEIGHBOURS (even): SecAgg+, each client"
          + " masks with that many ring neighbours instead of everyone (default 0: everyone). Default: off.")
  String secagg;

  @Option(names = "--dp-sgd", paramLabel = "CLIP,Z",
      description = "Example-level DP-SGD in every client's local training: per-example clip norm and noise multiplier. Default: off.")
  String dpSgd;

  /**
   * {@code {CLIP, SIGMA}} of {@code --dp local:CLIP,SIGMA}, or null for any other (or no) DP. With
   * {@code --submodel} the sub-model clients apply it themselves and {@link #wrap} leaves it out.
   */
  double[] localDp() {
    if (dp == null || !dp.trim().toLowerCase(Locale.ROOT).startsWith("local:")) {
      return null;
    }
    String[] p = dp.trim().substring("local:".length()).split(",");
    if (p.length != 2) {
      throw new IllegalArgumentException("--dp must be central:CLIP,Z, central-adaptive:QUANTILE,Z or local:CLIP,SIGMA. Provided value: " + dp);
    }
    return new double[] {Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim())};
  }

  /**
   * Wraps {@code s} as the flags say: DP decorators inside, secure aggregation outermost. With
   * {@code subModels}, local DP is the sub-model clients' own ({@link #localDp}) and is not wrapped here.
   */
  Strategy wrap(Strategy s, long seed, boolean subModels) {
    if (subModels && dp != null) {
      if (localDp() == null) {
        throw new IllegalArgumentException("--submodel works with --dp local:CLIP,SIGMA (applied to the coordinates each"
            + " client sends); central DP would clip updates the server only sees in part");
      }
      if (targetEpsilon != null) {
        throw new IllegalArgumentException("--target-epsilon is not enforced for sub-model local DP yet; the run reports"
            + " local_epsilon per round instead");
      }
      return wrapAll(s, seed, true);
    }
    return wrapAll(s, seed, false);
  }

  private Strategy wrapAll(Strategy s, long seed, boolean skipDp) {
    Strategy inner = skipDp ? s : wrapDp(s, seed);
    if (dpSgd != null) {
      if (inner != s) {
        throw new IllegalArgumentException("--dp-sgd cannot be combined with --dp: choose example-level (--dp-sgd)"
            + " or user-level (--dp) privacy");
      }
      String[] p = dpSgd.split(",");
      if (p.length != 2) {
        throw new IllegalArgumentException("--dp-sgd must be CLIP,Z. Provided value: " + dpSgd);
      }
      inner = new DpSgdStrategy(s, new DpSgdSettings(Double.parseDouble(p[0].trim()), Double.parseDouble(p[1].trim()),
          seededNoise()), PrivacyAccountant.named(accountant), delta,
          targetEpsilon == null ? OptionalDouble.empty() : OptionalDouble.of(targetEpsilon));
    }
    if (secagg == null) {
      return inner;
    }
    SecAggSpec sa = SecAggSpec.parse(secagg, "--secagg");
    if (inner instanceof CentralDpStrategy c) {
      // Central DP over secure aggregation: clients clip, the server noises the unmasked sum.
      return new SecureAggregationStrategy(s, sa.dropout(), sa.maxAbs(), sa.neighbours(), c.config(), centralNoise(seed));
    }
    return new SecureAggregationStrategy(inner, sa.dropout(), sa.maxAbs(), sa.neighbours());
  }

  private Strategy wrapDp(Strategy s, long seed) {
    if (dp == null) {
      if (targetEpsilon != null && dpSgd == null) {
        throw new IllegalArgumentException("--target-epsilon needs --dp (central:CLIP,Z, central-adaptive:QUANTILE,Z or local:CLIP,SIGMA) or --dp-sgd CLIP,Z");
      }
      return s;
    }
    boolean seeded = seededNoise();
    String spec = dp.trim().toLowerCase(Locale.ROOT);
    int colon = spec.indexOf(':');
    String kind = colon < 0 ? spec : spec.substring(0, colon);
    String[] args = colon < 0 ? new String[0] : spec.substring(colon + 1).split(",");
    if (args.length != 2) {
      throw new IllegalArgumentException("--dp must be central:CLIP,Z, central-adaptive:QUANTILE,Z or local:CLIP,SIGMA. Provided value: " + dp);
    }
    double a = Double.parseDouble(args[0].trim());
    double b = Double.parseDouble(args[1].trim());
    PrivacyAccountant acc = PrivacyAccountant.named(accountant);
    OptionalDouble target = targetEpsilon == null ? OptionalDouble.empty() : OptionalDouble.of(targetEpsilon);
    RandomSource rng = centralNoise(seed);
    return switch (kind) {
      case "central", "central-adaptive" -> {
        CentralDpConfig c = kind.equals("central") ? CentralDpConfig.fixed(a, b) : CentralDpConfig.adaptive(a, b);
        c = c.withDelta(delta).withAccountant(acc);
        if (targetEpsilon != null) {
          c = c.withTargetEpsilon(targetEpsilon);
        }
        yield new CentralDpStrategy(s, c, rng);
      }
      case "local" -> new LocalDpStrategy(s, LocalDpConfig.of(a, b).with(delta, target, acc, seeded));
      default -> throw new IllegalArgumentException("--dp must be central:CLIP,Z, central-adaptive:QUANTILE,Z or local:CLIP,SIGMA. Provided value: " + dp);
    };
  }

  private RandomSource centralNoise(long seed) {
    return seededNoise() ? RandomSource.seeded(seed).derive(0xD9L) : RandomSource.secure();
  }

  private boolean seededNoise() {
    return switch (noise.toLowerCase(Locale.ROOT)) {
      case "secure" -> false;
      case "seeded" -> true;
      default -> throw new IllegalArgumentException("--dp-noise must be secure or seeded. Provided value: " + noise);
    };
  }

  /** Tells a DP-SGD strategy the clients' dataset sizes so its budget is checked before round 1. */
  static void plan(Strategy s, java.util.List<Integer> clientSizes, int localEpochs, int batchSize) {
    Strategy inner = s instanceof SecureAggregationStrategy sa ? sa.delegateStrategy() : s;
    if (inner instanceof DpSgdStrategy d) {
      d.plan(clientSizes, localEpochs, batchSize);
    }
  }

  /** Adds the budget stop condition if {@code s} spends a privacy budget. */
  static void addStops(Strategy s, List<StopCondition> stops) {
    Strategy owner = s instanceof SecureAggregationStrategy sa && !sa.hasCentralDp() ? sa.delegateStrategy() : s;
    if (owner instanceof PrivateStrategy p) {
      stops.add(h -> p.budgetExhausted());
    }
  }
}
