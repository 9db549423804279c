package dev.starling.privacy.accounting;

import dev.starling.core.error.Checks;

/**
 * An (epsilon, delta) differential-privacy guarantee or budget.
 *
 * @param epsilon the privacy loss bound, > 0
 * @param delta the failure probability, in (0, 1)
 */
public record PrivacyBudget(double epsilon, double delta) {
  public PrivacyBudget {
    Checks.checkPositive(epsilon, "epsilon");
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
  }
}
