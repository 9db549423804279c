package dev.starling.strategy.robust;

import dev.starling.strategy.RoundPlan;

/** The one message form for plans a robust rule cannot defend. Stateless. */
final class Requirements {
  private Requirements() {}

  /**
   * Throws {@link IllegalArgumentException} if the plan has fewer than {@code needed} clients per round.
   * The message reads {@code "<requirement> clients per round; got <n> (raise --fraction or
   * --min-clients, or <remedy>)"}, e.g. requirement {@code "Krum with f=3 needs at least 2f+3 = 9"}.
   */
  static void requireClients(RoundPlan plan, int needed, String requirement, String remedy) {
    if (plan.clientsPerRound() < needed) {
      throw new IllegalArgumentException(requirement + " clients per round; got " + plan.clientsPerRound()
          + " (raise --fraction or --min-clients" + (remedy.isEmpty() ? "" : ", or " + remedy) + ")");
    }
  }
}
