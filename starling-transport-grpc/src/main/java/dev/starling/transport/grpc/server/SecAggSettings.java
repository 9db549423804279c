package dev.starling.transport.grpc.server;

import dev.starling.core.error.Checks;
import dev.starling.privacy.secagg.SecAggWire;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;

/**
 * Secure aggregation in a networked run ({@link FederationServer#enableSecureAggregation}).
 *
 * @param dropoutTolerance fraction of a round's clients that may drop out after sharing keys (before or
 *     after sending their masked input) with the sum still recovered; in [0, 0.5)
 * @param maxAbs every coordinate of a client's update {@code w_i - global} must lie in [-maxAbs, maxAbs]
 *     (the fixed-point range); a client whose update does not fails its task instead of being clipped
 * @param phaseTimeout how long the server waits in each coordination phase (keys, shares, unmask shares)
 *     for clients that are still connected; the ones still missing then are dropped from the protocol
 * @param roundTimeout the round deadline, sent to clients as the task deadline
 * @param neighbours SecAgg+: each client masks with this many ring neighbours (even); 0 for the complete graph
 * @param identities the authenticated variant when not empty: every client's registered Ed25519 identity
 *     public key by client id; a client without one gets no training task, keys whose signature does not
 *     verify are refused, and the survivors' consistency check runs before unmasking
 */
public record SecAggSettings(double dropoutTolerance, double maxAbs, Duration phaseTimeout, Duration roundTimeout,
    int neighbours, java.util.Map<String, java.security.PublicKey> identities) {
  /** The capability a client lists in Hello when it can run secure aggregation. */
  public static final String CAPABILITY = SecAggWire.PROTOCOL;
  /** The capability a client lists in Hello when it holds an identity key for the authenticated variant. */
  public static final String AUTH_CAPABILITY = "secagg-auth/1";

  public SecAggSettings {
    Checks.checkArgument(dropoutTolerance >= 0 && dropoutTolerance < 0.5, "secagg dropout tolerance", "in [0, 0.5)",
        dropoutTolerance);
    Checks.checkPositive(maxAbs, "secagg maxAbs");
    Objects.requireNonNull(phaseTimeout, "phaseTimeout");
    Objects.requireNonNull(roundTimeout, "roundTimeout");
    Checks.checkArgument(!phaseTimeout.isNegative() && !phaseTimeout.isZero(), "secagg phase timeout", "> 0", phaseTimeout);
    dev.starling.privacy.secagg.SecAggParams.checkNeighbours(neighbours);
    identities = java.util.Map.copyOf(identities);
  }

  /** Without authentication. */
  public SecAggSettings(double dropoutTolerance, double maxAbs, Duration phaseTimeout, Duration roundTimeout,
      int neighbours) {
    this(dropoutTolerance, maxAbs, phaseTimeout, roundTimeout, neighbours, java.util.Map.of());
  }

  /** The authenticated variant with these registered identity keys (client id to Ed25519 public key). */
  public SecAggSettings withIdentities(java.util.Map<String, java.security.PublicKey> keys) {
    Checks.checkArgument(!keys.isEmpty(), "secagg identity keys", "at least one", 0);
    return new SecAggSettings(dropoutTolerance, maxAbs, phaseTimeout, roundTimeout, neighbours, keys);
  }

  /** True for the authenticated variant. */
  public boolean authenticated() {
    return !identities.isEmpty();
  }

  /** On the complete graph (SecAgg). */
  public SecAggSettings(double dropoutTolerance, double maxAbs, Duration phaseTimeout, Duration roundTimeout) {
    this(dropoutTolerance, maxAbs, phaseTimeout, roundTimeout, 0);
  }

  public String describe() {
    return String.format(Locale.ROOT, "dropout tolerance=%s, range=+-%s%s%s", dropoutTolerance, maxAbs,
        neighbours == 0 ? "" : ", SecAgg+ " + neighbours + " neighbours",
        identities.isEmpty() ? "" : ", authenticated: " + identities.size() + " identity keys, consistency check");
  }
}
