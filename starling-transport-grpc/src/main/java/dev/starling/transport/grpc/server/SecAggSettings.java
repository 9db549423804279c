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
 */
public record SecAggSettings(double dropoutTolerance, double maxAbs, Duration phaseTimeout, Duration roundTimeout,
    int neighbours) {
  /** The capability a client lists in Hello when it can run secure aggregation. */
  public static final String CAPABILITY = SecAggWire.PROTOCOL;

  public SecAggSettings {
    Checks.checkArgument(dropoutTolerance >= 0 && dropoutTolerance < 0.5, "secagg dropout tolerance", "in [0, 0.5)",
        dropoutTolerance);
    Checks.checkPositive(maxAbs, "secagg maxAbs");
    Objects.requireNonNull(phaseTimeout, "phaseTimeout");
    Objects.requireNonNull(roundTimeout, "roundTimeout");
    Checks.checkArgument(!phaseTimeout.isNegative() && !phaseTimeout.isZero(), "secagg phase timeout", "> 0", phaseTimeout);
    dev.starling.privacy.secagg.SecAggParams.checkNeighbours(neighbours);
  }

  /** On the complete graph (SecAgg). */
  public SecAggSettings(double dropoutTolerance, double maxAbs, Duration phaseTimeout, Duration roundTimeout) {
    this(dropoutTolerance, maxAbs, phaseTimeout, roundTimeout, 0);
  }

  public String describe() {
    return String.format(Locale.ROOT, "dropout tolerance=%s, range=+-%s%s", dropoutTolerance, maxAbs,
        neighbours == 0 ? "" : ", SecAgg+ " + neighbours + " neighbours");
  }
}
