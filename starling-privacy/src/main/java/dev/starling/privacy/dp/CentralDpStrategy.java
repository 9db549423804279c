package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.aggregate.LossTally;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * User-level central differential privacy for any sum-based strategy: DP-FedAvg (McMahan, Ramage,
 * Talwar, Zhang, "Learning Differentially Private Recurrent Language Models", ICLR 2018) with fixed
 * clipping or with adaptive, quantile-based clipping (Andrew, Thakkar, McMahan, Ramaswamy,
 * "Differentially Private Learning with Adaptive Clipping", NeurIPS 2021).
 *
 * <p>Per round, with k the clients selected per round (from the {@link RoundPlan}) and C the clip norm:
 * each update {@code d_i = w_i - global} is scaled to norm at most C; the server forms
 * {@code (sum_i d_i + N(0, (z C)^2 I)) / k} (fixed denominator, so one client changes the sum by at most
 * C whatever the others do) and hands {@code global + that} to the decorated strategy as the round's
 * only update, so server optimisers (FedAdam, FedAvgM, ...) see it as their pseudo-gradient; everything
 * they do is post-processing. Every client has weight 1: example-weighted averaging would let one
 * client's weight exceed the sensitivity bound.
 *
 * <p>Adaptive clipping: each client also contributes the bit {@code b_i = [||d_i|| <= C]}; the server
 * releases {@code b = (sum_i b_i + N(0, sigma_b^2)) / k} with {@code sigma_b = k / 20} and updates
 * {@code C *= exp(-eta_C (b - gamma))}. The noise multiplier on the update sum is then
 * {@code z_d = (z^-2 - (2 sigma_b)^-2)^(-1/2)}, so the two releases together cost what one Gaussian of
 * multiplier z costs (the paper's Theorem 1); the accountant is charged z.
 *
 * <p>Accounting: one release per round with sampling rate {@code q = k / N}, N the clients at the start.
 * The round loop samples k clients without replacement while the accountant assumes Poisson sampling
 * with the same rate, the usual approximation (as in TensorFlow Federated and Flower). The reported
 * {@code epsilon} is for add-or-remove-one-client adjacency. The training-loss metric is the clients'
 * own report, which is not covered by the guarantee.
 *
 * <p>Refuses strategies that need individual updates (the noisy sum is all they would get). Noise comes
 * from the {@link RandomSource} given, {@link RandomSource#secure()} by default. Thread-confined.
 */
public final class CentralDpStrategy extends ForwardingStrategy implements PrivateStrategy {
  private static final ClientId AGGREGATE = new ClientId("dp-aggregate");
  private static final String STATE_PREFIX = "dp.central.";

  private final CentralDpConfig config;
  private final RandomSource noise;
  private final PrivacyBudgetTracker tracker;
  private double clipNorm;
  private int perRound;

  /** Central DP with noise from a secure source. */
  public CentralDpStrategy(Strategy delegate, CentralDpConfig config) {
    this(delegate, config, RandomSource.secure());
  }

  /** Central DP with noise from {@code noise} (seeded sources are for tests and reproducible research only). */
  public CentralDpStrategy(Strategy delegate, CentralDpConfig config, RandomSource noise) {
    super(delegate);
    this.config = Objects.requireNonNull(config, "config");
    this.noise = Objects.requireNonNull(noise, "noise");
    if (delegate.requiredInput() != AggregationInput.SUM_ONLY) {
      throw new IllegalArgumentException("central DP cannot wrap " + delegate.describe() + ": it needs "
          + (delegate.requiredInput() == AggregationInput.INDIVIDUAL_UPDATES ? "individual updates"
          : "each client's own details (local steps, control variates or trained positions)")
          + ", but under central DP it would only see one noisy sum per round. Use a sum-based strategy"
          + " (fedavg, fedavgm, fedadam, fedyogi, fedadagrad); the clipping of central DP already bounds each"
          + " client's influence to C / k");
    }
    this.tracker = new PrivacyBudgetTracker(config.accountant(), config.delta(), config.targetEpsilon());
    this.clipNorm = config.clipNorm();
  }

  /** The configuration. */
  public CentralDpConfig config() {
    return config;
  }

  /** The current clip norm (changes every round when adaptive). */
  public double clipNorm() {
    return clipNorm;
  }

  /** The budget tracker (epsilon spent, delta, target). */
  public PrivacyBudgetTracker budget() {
    return tracker;
  }

  @Override
  public java.util.Optional<String> budgetExhausted() {
    return tracker.exhausted();
  }

  /** The noise multiplier applied to the update sum (smaller than z when adaptive clipping spends some). */
  double updateNoiseMultiplier() {
    double z = config.noiseMultiplier();
    if (!config.adaptive()) {
      return z;
    }
    double sigmaB = perRound / 20.0;
    double inv = 1 / (z * z) - 1 / (4 * sigmaB * sigmaB);
    return 1 / Math.sqrt(inv);
  }

  @Override
  public void prepare(RoundPlan plan) {
    perRound = plan.clientsPerRound();
    if (config.adaptive()) {
      double sigmaB = perRound / 20.0;
      Checks.checkArgument(config.noiseMultiplier() < 2 * sigmaB, "noiseMultiplier with adaptive clipping",
          "< 2 sigma_b = k / 10 = " + (2 * sigmaB) + " (k = " + perRound + " clients per round); select more clients per"
              + " round or use fixed clipping", config.noiseMultiplier());
    }
    tracker.configure((double) plan.clientsPerRound() / plan.totalClients(), config.noiseMultiplier());
    tracker.checkCanStart();
    super.prepare(plan);
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    Checks.checkState(perRound > 0, "CentralDpStrategy.prepare must be called before round 1");
    double c = clipNorm;
    double[] sum = new double[Math.toIntExact(global.size())];
    return new Aggregation() {
      private int count;
      private int clipped;
      private int withinBound;
      private final LossTally trainLoss = new LossTally();
      private long examples;

      @Override
      public void accept(ClientId client, TrainResult result) {
        examples += result.numExamples();
        double[] d = Updates.delta(result.parameters(), global);
        double n = Updates.clip(d, c);
        if (n > c) {
          clipped++;
        } else {
          withinBound++;
        }
        for (int i = 0; i < d.length; i++) {
          sum[i] += d[i];
        }
        count++;
        trainLoss.add(result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        RandomSource rng = roundNoise(noise, round);
        GaussianNoise.of(c, updateNoiseMultiplier(), sum.length).addTo(sum, rng);
        for (int i = 0; i < sum.length; i++) {
          sum[i] /= perRound;
        }
        ParameterSet candidate = Updates.plus(global, sum);
        Metrics m = Metrics.of(Metrics.LOSS, trainLoss.mean());
        Aggregation inner = CentralDpStrategy.super.beginAggregation(round, global);
        inner.accept(AGGREGATE, new TrainResult(candidate, 1, 1, m));
        AggregateResult r = inner.finish(failures);
        if (config.adaptive()) {
          double sigmaB = perRound / 20.0;
          double[] count = {withinBound};
          GaussianNoise.of(1, sigmaB, 1).addTo(count, rng); // the count moves by at most 1 per client
          double b = count[0] / perRound;
          clipNorm = c * Math.exp(-config.clipLearningRate() * (b - config.targetQuantile()));
        }
        tracker.record();
        Metrics.Builder out = Metrics.builder().putAll(r.metrics());
        trainLoss.putInto(out);
        out.put("clients_aggregated", count).put("examples", examples).put("clients_clipped", clipped).put("clip_norm", c)
            .putAll(tracker.metrics());
        return new AggregateResult(r.parameters(), out.build(), r.verdicts());
      }
    };
  }

  /**
   * The delegate's state plus this decorator's: releases so far and the (adaptive) clip norm, exactly.
   * The budget resumes where the checkpoint left it. A seeded noise source is drawn from per round
   * ({@link #roundNoise}), so a resumed seeded run adds the noise the uninterrupted run would have
   * (secure noise, the default, has nothing to restore).
   */
  @Override
  public ParameterSet saveState() {
    List<Tensor> out = new ArrayList<>();
    out.add(StateTensors.ofLong(STATE_PREFIX + "steps", tracker.steps()));
    out.add(StateTensors.ofDouble(STATE_PREFIX + "clip-norm", clipNorm));
    out.addAll(super.saveState().tensors());
    return ParameterSet.of(out);
  }

  /** Restores {@link #saveState()} after {@link #prepare}: the budget already spent and the clip norm. */
  @Override
  public void restoreState(ParameterSet saved) {
    List<List<Tensor>> parts = StateTensors.split(saved, STATE_PREFIX);
    for (Tensor t : parts.get(0)) {
      switch (t.name().substring(STATE_PREFIX.length())) {
        case "steps" -> tracker.restore(StateTensors.longOf(t));
        case "clip-norm" -> clipNorm = StateTensors.doubleOf(t);
        default -> throw new IllegalArgumentException(describe() + ": unknown state tensor '" + t.name() + "'");
      }
    }
    super.restoreState(ParameterSet.of(parts.get(1)));
  }

  /**
   * The noise of round {@code round}: a seeded source's child stream for the round, so that the noise of
   * a round does not depend on the rounds run before it in this process (a run resumed from a checkpoint
   * draws what the uninterrupted run drew); a secure source as it is.
   */
  public static RandomSource roundNoise(RandomSource noise, int round) {
    return noise.isSecure() ? noise : noise.derive(round);
  }

  @Override
  public String describe() {
    String clip = config.adaptive()
        ? String.format(Locale.ROOT, "adaptive(quantile=%s, C0=%s)", config.targetQuantile(), config.clipNorm())
        : "C=" + config.clipNorm();
    return String.format(Locale.ROOT, "CentralDp(%s, z=%s, delta=%s, accountant=%s%s) <- %s", clip,
        config.noiseMultiplier(), config.delta(), config.accountant().name(),
        config.targetEpsilon().isPresent() ? ", target epsilon=" + config.targetEpsilon().getAsDouble() : "",
        super.describe());
  }
}
