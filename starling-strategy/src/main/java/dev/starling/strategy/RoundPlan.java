package dev.starling.strategy;

import dev.starling.core.error.Checks;

/**
 * What the round loop will do, told to the strategy before round 1 so it can refuse configurations it
 * cannot defend (a Byzantine-robust rule with too few clients per round) or learn sizes it needs
 * (SCAFFOLD's total client count).
 *
 * @param clientsPerRound clients selected to train each round
 * @param totalClients clients available when the run started
 */
public record RoundPlan(int clientsPerRound, int totalClients) {
  public RoundPlan {
    Checks.checkPositive(clientsPerRound, "clientsPerRound");
    Checks.checkArgument(totalClients >= clientsPerRound, "totalClients", ">= clientsPerRound = " + clientsPerRound, totalClients);
  }
}
