package dev.starling.privacy.accounting;

/**
 * Converts the repeated Poisson-subsampled Gaussian mechanism into an (epsilon, delta) guarantee under
 * add-or-remove-one adjacency. One "step" releases {@code sum + N(0, (z C)^2)} over a Poisson sample of
 * rate {@code q} of the units being protected (examples for DP-SGD, clients for DP-FedAvg), each
 * contributing at most {@code C} in L2 norm. Implementations are stateless and thread-safe.
 */
public interface PrivacyAccountant {
  /**
   * The smallest epsilon such that {@code steps} compositions are (epsilon, delta)-DP;
   * {@link Double#POSITIVE_INFINITY} if no finite epsilon is certified.
   */
  double epsilon(double samplingRate, double noiseMultiplier, long steps, double delta);

  /** The delta at which {@code steps} compositions are (epsilon, delta)-DP. */
  double delta(double samplingRate, double noiseMultiplier, long steps, double epsilon);

  /** The accountant's short name, {@code rdp} or {@code prv}. */
  String name();

  /** The accountant called {@code name} ({@code rdp} or {@code prv}, case-insensitive). */
  static PrivacyAccountant named(String name) {
    return switch (name.trim().toLowerCase(java.util.Locale.ROOT)) {
      case "rdp" -> new RdpAccountant();
      case "prv", "pld" -> new PrvAccountant();
      default -> throw new IllegalArgumentException("accountant must be rdp or prv. Provided value: " + name);
    };
  }
}
