package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.metrics.Metrics;
import dev.starling.privacy.accounting.PrivacyAccountant;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Spends a privacy budget round by round: knows the mechanism's sampling rate and noise multiplier,
 * counts the noisy releases, reports {@code epsilon} and {@code delta} as round metrics, and, with a
 * target epsilon, refuses to start a run whose first round would exceed it and tells the round loop to
 * stop before the round that would.
 *
 * <p>Order of use: {@link #configure} once (before round 1), then {@link #checkCanStart}, then per
 * round {@link #record} and {@link #metrics}; {@link #exhausted} at any time. Not thread-safe.
 */
public final class PrivacyBudgetTracker {
  /** Metric names added to every round. */
  public static final String EPSILON = "epsilon";
  public static final String DELTA = "delta";

  private final PrivacyAccountant accountant;
  private final double delta;
  private final OptionalDouble targetEpsilon;
  private double samplingRate = Double.NaN;
  private double noiseMultiplier = Double.NaN;
  private long steps;
  private double epsilon;

  public PrivacyBudgetTracker(PrivacyAccountant accountant, double delta, OptionalDouble targetEpsilon) {
    this.accountant = Objects.requireNonNull(accountant, "accountant");
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    this.delta = delta;
    this.targetEpsilon = Objects.requireNonNull(targetEpsilon, "targetEpsilon");
    targetEpsilon.ifPresent(e -> Checks.checkPositive(e, "targetEpsilon"));
  }

  /** Sets the mechanism: each release is a Gaussian with this multiplier on a sample of rate {@code q}. */
  public void configure(double q, double z) {
    Checks.checkArgument(q > 0 && q <= 1, "samplingRate", "in (0, 1]", q);
    Checks.checkPositive(z, "noiseMultiplier");
    this.samplingRate = q;
    this.noiseMultiplier = z;
  }

  /** Epsilon after {@code n} releases. */
  public double epsilonAfter(long n) {
    Checks.checkState(!Double.isNaN(samplingRate), "PrivacyBudgetTracker.configure must be called first");
    return accountant.epsilon(samplingRate, noiseMultiplier, n, delta);
  }

  /**
   * Throws {@link FlException} {@link ErrorCode#BUDGET_EXHAUSTED} if even one release would exceed the
   * target epsilon, saying how much one release costs and what to change.
   */
  public void checkCanStart() {
    if (targetEpsilon.isEmpty()) {
      return;
    }
    double one = epsilonAfter(1);
    if (one > targetEpsilon.getAsDouble()) {
      throw new FlException(ErrorCode.BUDGET_EXHAUSTED, String.format(Locale.ROOT,
          "refusing to start: one round already spends epsilon %.4f > target %s (delta %s, noise multiplier %s,"
              + " sampling rate %.4f, %s accountant); raise the noise multiplier, lower the fraction of clients"
              + " per round, or raise --target-epsilon", one, targetEpsilon.getAsDouble(), delta, noiseMultiplier,
          samplingRate, accountant.name()));
    }
  }

  /** Counts one release and updates epsilon. */
  public void record() {
    steps++;
    epsilon = epsilonAfter(steps);
  }

  /** Resumes from a checkpoint: {@code steps} releases were already made (call after {@link #configure}). */
  public void restore(long steps) {
    Checks.checkArgument(steps >= 0, "steps", ">= 0", steps);
    this.steps = steps;
    this.epsilon = steps == 0 ? 0 : epsilonAfter(steps);
  }

  /** Releases so far. */
  public long steps() {
    return steps;
  }

  /** Epsilon spent so far. */
  public double epsilon() {
    return epsilon;
  }

  public double delta() {
    return delta;
  }

  /** {@code epsilon} and {@code delta} spent so far. */
  public Metrics metrics() {
    return Metrics.builder().put(EPSILON, epsilon).put(DELTA, delta).build();
  }

  /** A reason to stop now if the next release would exceed the target, else empty. */
  public Optional<String> exhausted() {
    if (targetEpsilon.isEmpty()) {
      return Optional.empty();
    }
    double next = epsilonAfter(steps + 1);
    if (next <= targetEpsilon.getAsDouble()) {
      return Optional.empty();
    }
    return Optional.of(String.format(Locale.ROOT,
        "privacy budget: round %d would raise epsilon to %.4f > target %s; stopped at epsilon %.4f (delta %s)",
        steps + 1, next, targetEpsilon.getAsDouble(), epsilon, delta));
  }

  /** The accountant's name. */
  public String accountantName() {
    return accountant.name();
  }
}
