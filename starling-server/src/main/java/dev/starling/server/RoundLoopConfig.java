package dev.starling.server;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.TrainConfig;
import dev.starling.strategy.UpdateValidator;
import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * Settings of the round loop. Build with {@link #builder()}; all defaults live there.
 *
 * @param rounds round budget (the run stops after this many rounds at the latest)
 * @param fractionFit fraction C of available clients selected to train each round
 * @param minFitClients at least this many clients are selected (if available)
 * @param minAvailableClients a round starts only when this many clients are available
 * @param minSuccessfulClients a round's aggregate is applied only if at least this many updates were
 *     accepted; otherwise the global model is kept and the round is recorded as failed
 * @param fractionEvaluate fraction of clients asked to evaluate the new global model (0 = none)
 * @param roundTimeout deadline of a round's training phase; late clients are recorded as failed
 * @param availabilityTimeout how long to wait for {@code minAvailableClients}
 * @param stopConditions extra conditions (target metric, plateau) checked after every round
 * @param trainDefaults the local training settings sent to clients, before the strategy adjusts them
 * @param seed seed of client selection and of the per-client training seeds
 * @param foldOrder order in which updates are folded
 * @param roundRetries how many times a round that fell short of {@code minSuccessfulClients} is run again
 *     (with a fresh selection) before it is recorded as failed; 0 = never
 * @param maxExamplesPerClient the most training examples a client may claim for one update (FedAvg
 *     weights by the claim); an update claiming more is rejected as a failure, not clamped. Default
 *     {@link UpdateValidator#DEFAULT_MAX_EXAMPLES} ({@code 2^31 - 1}); at most {@code 2^53}
 */
public record RoundLoopConfig(int rounds, double fractionFit, int minFitClients, int minAvailableClients,
    int minSuccessfulClients, double fractionEvaluate, Duration roundTimeout, Duration availabilityTimeout,
    List<StopCondition> stopConditions, TrainConfig trainDefaults, long seed, FoldOrder foldOrder, int roundRetries,
    long maxExamplesPerClient) {

  /** A configuration with the default {@code maxExamplesPerClient}. */
  public RoundLoopConfig(int rounds, double fractionFit, int minFitClients, int minAvailableClients,
      int minSuccessfulClients, double fractionEvaluate, Duration roundTimeout, Duration availabilityTimeout,
      List<StopCondition> stopConditions, TrainConfig trainDefaults, long seed, FoldOrder foldOrder, int roundRetries) {
    this(rounds, fractionFit, minFitClients, minAvailableClients, minSuccessfulClients, fractionEvaluate, roundTimeout,
        availabilityTimeout, stopConditions, trainDefaults, seed, foldOrder, roundRetries, UpdateValidator.DEFAULT_MAX_EXAMPLES);
  }

  /** This configuration with another {@code maxExamplesPerClient}. */
  public RoundLoopConfig withMaxExamplesPerClient(long v) {
    return new RoundLoopConfig(rounds, fractionFit, minFitClients, minAvailableClients, minSuccessfulClients,
        fractionEvaluate, roundTimeout, availabilityTimeout, stopConditions, trainDefaults, seed, foldOrder, roundRetries, v);
  }

  /** This configuration with another {@code seed}. */
  public RoundLoopConfig withSeed(long v) {
    return new RoundLoopConfig(rounds, fractionFit, minFitClients, minAvailableClients, minSuccessfulClients,
        fractionEvaluate, roundTimeout, availabilityTimeout, stopConditions, trainDefaults, v, foldOrder, roundRetries,
        maxExamplesPerClient);
  }

  public RoundLoopConfig {
    Checks.checkPositive(rounds, "rounds");
    Checks.checkArgument(fractionFit > 0 && fractionFit <= 1, "fractionFit", "in (0, 1]", fractionFit);
    Checks.checkPositive(minFitClients, "minFitClients");
    Checks.checkPositive(minAvailableClients, "minAvailableClients");
    Checks.checkPositive(minSuccessfulClients, "minSuccessfulClients");
    Checks.checkArgument(minSuccessfulClients <= Math.max(minFitClients, minAvailableClients), "minSuccessfulClients",
        "<= max(minFitClients, minAvailableClients) = " + Math.max(minFitClients, minAvailableClients), minSuccessfulClients);
    Checks.checkProbability(fractionEvaluate, "fractionEvaluate");
    Objects.requireNonNull(roundTimeout, "roundTimeout");
    Checks.checkArgument(!roundTimeout.isNegative() && !roundTimeout.isZero(), "roundTimeout", "> 0", roundTimeout);
    Objects.requireNonNull(availabilityTimeout, "availabilityTimeout");
    stopConditions = List.copyOf(stopConditions);
    Objects.requireNonNull(trainDefaults, "trainDefaults");
    Objects.requireNonNull(foldOrder, "foldOrder");
    Checks.checkNonNegative(roundRetries, "roundRetries");
    Checks.checkArgument(maxExamplesPerClient >= 1 && maxExamplesPerClient <= (1L << 53), "maxExamplesPerClient",
        "in [1, 2^53]", maxExamplesPerClient);
  }

  public static Builder builder() {
    return new Builder();
  }

  /**
   * The clients a round selects out of {@code available}: {@code min(available, max(minFitClients,
   * floor(fractionFit available)))}.
   */
  public int clientsPerRound(int available) {
    return Math.min(available, Math.max(minFitClients, (int) Math.floor(fractionFit * available)));
  }

  /** The fewest clients any round selects: {@link #clientsPerRound} of {@code max(minAvailableClients, minFitClients)}. */
  public int fewestClientsPerRound() {
    return clientsPerRound(Math.max(minAvailableClients, minFitClients));
  }

  /** Builder. Defaults: 10 rounds, C=0.1, 1 client minimum, 10-minute round deadline, selection fold order. */
  public static final class Builder {
    private int rounds = 10;
    private double fractionFit = 0.1;
    private int minFitClients = 1;
    private int minAvailableClients = 1;
    private int minSuccessfulClients = 1;
    private double fractionEvaluate;
    private Duration roundTimeout = Duration.ofMinutes(10);
    private Duration availabilityTimeout = Duration.ofMinutes(5);
    private List<StopCondition> stopConditions = List.of();
    private TrainConfig trainDefaults = TrainConfig.builder().build();
    private long seed;
    private FoldOrder foldOrder = FoldOrder.SELECTION;
    private int roundRetries;
    private long maxExamplesPerClient = UpdateValidator.DEFAULT_MAX_EXAMPLES;

    private Builder() {}

    public Builder rounds(int v) { rounds = v; return this; }
    public Builder fractionFit(double v) { fractionFit = v; return this; }
    public Builder minFitClients(int v) { minFitClients = v; return this; }
    public Builder minAvailableClients(int v) { minAvailableClients = v; return this; }
    public Builder minSuccessfulClients(int v) { minSuccessfulClients = v; return this; }
    public Builder fractionEvaluate(double v) { fractionEvaluate = v; return this; }
    public Builder roundTimeout(Duration v) { roundTimeout = v; return this; }
    public Builder availabilityTimeout(Duration v) { availabilityTimeout = v; return this; }
    public Builder stopConditions(List<StopCondition> v) { stopConditions = v; return this; }
    public Builder trainDefaults(TrainConfig v) { trainDefaults = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder foldOrder(FoldOrder v) { foldOrder = v; return this; }
    public Builder roundRetries(int v) { roundRetries = v; return this; }
    public Builder maxExamplesPerClient(long v) { maxExamplesPerClient = v; return this; }

    public RoundLoopConfig build() {
      return new RoundLoopConfig(rounds, fractionFit, minFitClients, minAvailableClients, minSuccessfulClients,
          fractionEvaluate, roundTimeout, availabilityTimeout, stopConditions, trainDefaults, seed, foldOrder, roundRetries,
          maxExamplesPerClient);
    }
  }
}
