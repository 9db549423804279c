package dev.starling.privacy.dp;

import java.util.Optional;

/**
 * A strategy that spends a differential-privacy budget. A round loop (or the command line building one)
 * adds {@link #budgetExhausted()} as a stop condition so that the run stops before the round that would
 * exceed the target epsilon.
 */
public interface PrivateStrategy {
  /** A reason to stop before the next round, if it would exceed the target epsilon. */
  Optional<String> budgetExhausted();
}
