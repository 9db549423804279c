package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.privacy.accounting.PrivacyAccountant;
import dev.starling.privacy.accounting.RdpAccountant;
import java.util.Objects;
import java.util.OptionalDouble;

/**
 * Settings of user-level central DP ({@link CentralDpStrategy}).
 *
 * @param clipNorm the L2 bound C on each client's update (the initial bound when adaptive)
 * @param noiseMultiplier z: the noise on the sum of clipped updates has standard deviation z C
 * @param adaptive whether C follows a quantile of the update norms (Andrew et al. 2021)
 * @param targetQuantile the quantile gamma of update norms that C tracks, in (0, 1) (adaptive only)
 * @param clipLearningRate eta_C of the geometric update {@code C *= exp(-eta_C (b - gamma))} (adaptive only)
 * @param delta the delta at which epsilon is reported
 * @param targetEpsilon the budget, if any: the run refuses to start or stops before exceeding it
 * @param accountant how epsilon is computed
 */
public record CentralDpConfig(double clipNorm, double noiseMultiplier, boolean adaptive, double targetQuantile,
    double clipLearningRate, double delta, OptionalDouble targetEpsilon, PrivacyAccountant accountant) {
  public CentralDpConfig {
    Checks.checkPositive(clipNorm, "clipNorm");
    Checks.checkPositive(noiseMultiplier, "noiseMultiplier");
    Checks.checkArgument(targetQuantile > 0 && targetQuantile < 1, "targetQuantile", "in (0, 1)", targetQuantile);
    Checks.checkPositive(clipLearningRate, "clipLearningRate");
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    Objects.requireNonNull(targetEpsilon, "targetEpsilon");
    Objects.requireNonNull(accountant, "accountant");
  }

  /** Fixed clipping at {@code clipNorm}, delta 1e-5, no target, RDP accounting. */
  public static CentralDpConfig fixed(double clipNorm, double noiseMultiplier) {
    return new CentralDpConfig(clipNorm, noiseMultiplier, false, 0.5, 0.2, 1e-5, OptionalDouble.empty(),
        new RdpAccountant());
  }

  /** Adaptive clipping towards the {@code quantile} of update norms, starting at C = 0.1. */
  public static CentralDpConfig adaptive(double quantile, double noiseMultiplier) {
    return new CentralDpConfig(0.1, noiseMultiplier, true, quantile, 0.2, 1e-5, OptionalDouble.empty(),
        new RdpAccountant());
  }

  public CentralDpConfig withDelta(double d) {
    return new CentralDpConfig(clipNorm, noiseMultiplier, adaptive, targetQuantile, clipLearningRate, d, targetEpsilon, accountant);
  }

  public CentralDpConfig withTargetEpsilon(double e) {
    return new CentralDpConfig(clipNorm, noiseMultiplier, adaptive, targetQuantile, clipLearningRate, delta,
        OptionalDouble.of(e), accountant);
  }

  public CentralDpConfig withAccountant(PrivacyAccountant a) {
    return new CentralDpConfig(clipNorm, noiseMultiplier, adaptive, targetQuantile, clipLearningRate, delta, targetEpsilon, a);
  }

  public CentralDpConfig withClipNorm(double c) {
    return new CentralDpConfig(c, noiseMultiplier, adaptive, targetQuantile, clipLearningRate, delta, targetEpsilon, accountant);
  }
}
