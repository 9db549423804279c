package dev.starling.simulation.adversary;

import dev.starling.core.error.Checks;
import java.util.Objects;

/**
 * Hostile and unreliable clients in a simulation.
 *
 * @param attack what malicious clients do
 * @param maliciousFraction fraction of all clients that are malicious (chosen once, seeded)
 * @param stragglerFraction probability that a selected client is a straggler in a round: it runs a
 *     number of local epochs drawn uniformly from {@code 1..E-1} (E when E = 1), as in the FedProx paper
 * @param dropStragglers whether stragglers' partial work is dropped (FedAvg in the FedProx paper) or
 *     kept (FedProx)
 */
public record Adversity(Attack attack, double maliciousFraction, double stragglerFraction, boolean dropStragglers) {
  public Adversity {
    Objects.requireNonNull(attack, "attack");
    Checks.checkProbability(maliciousFraction, "maliciousFraction");
    Checks.checkProbability(stragglerFraction, "stragglerFraction");
    Checks.checkArgument(!(attack instanceof Attack.None) || maliciousFraction == 0, "maliciousFraction",
        "0 without an attack (choose one with --attack)", maliciousFraction);
  }

  /** Honest, reliable clients. */
  public static Adversity none() {
    return new Adversity(new Attack.None(), 0, 0, false);
  }

  public String describe() {
    return "attack=" + attack.describe() + ", malicious=" + maliciousFraction + ", stragglers=" + stragglerFraction
        + (stragglerFraction > 0 ? (dropStragglers ? " (dropped)" : " (partial work kept)") : "");
  }
}
