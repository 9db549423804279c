package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.privacy.accounting.PrivacyAccountant;
import dev.starling.privacy.accounting.RdpAccountant;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Settings of local DP ({@link LocalDpStrategy}).
 *
 * @param clipNorm the L2 bound C each client applies to its own update
 * @param noiseMultiplier sigma: each client adds {@code N(0, (sigma C)^2)} per coordinate
 * @param delta the delta at which epsilon is reported
 * @param targetEpsilon the per-client budget, if any
 * @param accountant how epsilon is computed
 * @param seededNoise derive each client's noise from its job seed (reproducible simulations only: the
 *     server chooses that seed, so it could remove the noise); false = {@code SecureRandom}
 */
public record LocalDpConfig(double clipNorm, double noiseMultiplier, double delta, OptionalDouble targetEpsilon,
    PrivacyAccountant accountant, boolean seededNoise) {
  public LocalDpConfig {
    Checks.checkPositive(clipNorm, "clipNorm");
    Checks.checkPositive(noiseMultiplier, "noiseMultiplier");
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    Objects.requireNonNull(targetEpsilon, "targetEpsilon");
    Objects.requireNonNull(accountant, "accountant");
  }

  /** Secure noise, delta 1e-5, no target, RDP accounting. */
  public static LocalDpConfig of(double clipNorm, double noiseMultiplier) {
    return new LocalDpConfig(clipNorm, noiseMultiplier, 1e-5, OptionalDouble.empty(), new RdpAccountant(), false);
  }

  public LocalDpConfig with(double d, OptionalDouble target, PrivacyAccountant a, boolean seeded) {
    return new LocalDpConfig(clipNorm, noiseMultiplier, d, target, a, seeded);
  }
}
