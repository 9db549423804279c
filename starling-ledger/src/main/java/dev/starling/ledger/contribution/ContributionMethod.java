package dev.starling.ledger.contribution;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.util.Locale;

/** How a round's contribution scores are computed; {@link #parse} reads the CLI's {@code --contribution}. */
public enum ContributionMethod {
  /** Leave-one-out: v(N) - v(N \ {i}); n + 1 evaluations. */
  LOO,
  /** Exact Shapley value over every subset; 2^n evaluations, at most {@value Contributions#MAX_EXACT} clients. */
  EXACT,
  /** Truncated Monte-Carlo Shapley (Ghorbani and Zou 2019): sampled permutations, truncated once near v(N). */
  TMC,
  /**
   * GTG-Shapley (Liu et al. 2022): TMC over the round's updates with between-round truncation (skip a
   * round whose aggregate barely changes the utility), guided permutations (each client leads in turn)
   * and a convergence stop.
   */
  GTG;

  public String id() {
    return name().toLowerCase(Locale.ROOT);
  }

  public static ContributionMethod parse(String s) {
    for (ContributionMethod m : values()) {
      if (m.id().equals(s.strip().toLowerCase(Locale.ROOT))) {
        return m;
      }
    }
    throw new FlException(ErrorCode.INVALID_ARGUMENT, "unknown contribution method '" + s + "': use loo, exact, tmc or gtg");
  }
}
