package dev.starling.privacy.dp;

import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * Local differential privacy: every client clips its own update {@code d = w - global} to norm C and
 * adds {@code N(0, (sigma C)^2 I)} before it leaves the device, so the server (and anyone else) only ever
 * sees noisy updates; the decorated strategy aggregates them as usual (robust rules included).
 *
 * <p>Guarantee: per client, each participation is a Gaussian mechanism on the client's whole dataset;
 * replacing that dataset moves the clipped update by at most 2C, so one round costs a Gaussian of
 * multiplier {@code sigma / 2} with no sampling amplification (q = 1), and the reported {@code epsilon}
 * assumes the client took part in every round so far (the worst case).
 *
 * <p>The client half is {@link #clientInterceptors()} (first: the delegate's, then clipping and noise, so
 * the noise is the last thing applied before sending). Thread-safe interceptor; the strategy itself is
 * thread-confined.
 */
public final class LocalDpStrategy extends ForwardingStrategy implements PrivateStrategy {
  private static final long NOISE_STREAM = 0x10CA1D9L;
  private static final String STATE_PREFIX = "dp.local.";

  private final LocalDpConfig config;
  private final PrivacyBudgetTracker tracker;

  public LocalDpStrategy(Strategy delegate, LocalDpConfig config) {
    super(delegate);
    this.config = Objects.requireNonNull(config, "config");
    this.tracker = new PrivacyBudgetTracker(config.accountant(), config.delta(), config.targetEpsilon());
  }

  /** The settings: clip norm, noise multiplier, delta, target, accountant, noise source. */
  public LocalDpConfig config() {
    return config;
  }

  /** The budget tracker (epsilon spent, delta, target). */
  public PrivacyBudgetTracker budget() {
    return tracker;
  }

  @Override
  public java.util.Optional<String> budgetExhausted() {
    return tracker.exhausted();
  }

  @Override
  public void prepare(RoundPlan plan) {
    tracker.configure(1.0, config.noiseMultiplier() / 2);
    tracker.checkCanStart();
    super.prepare(plan);
  }

  @Override
  public List<TrainInterceptor> clientInterceptors() {
    List<TrainInterceptor> chain = new ArrayList<>(super.clientInterceptors());
    chain.add(0, interceptor(config));
    return chain;
  }

  /** The client half: clip the update to C and add Gaussian noise of standard deviation sigma C. */
  public static TrainInterceptor interceptor(LocalDpConfig config) {
    double c = config.clipNorm();
    double z = config.noiseMultiplier();
    boolean seeded = config.seededNoise();
    return (global, trainConfig, state, next) -> {
      TrainResult r = next.fit(global, trainConfig);
      double[] d = Updates.delta(r.parameters(), global);
      Updates.clip(d, c);
      GaussianNoise.of(c, z, d.length).addTo(d, GaussianNoise.source(seeded, trainConfig.seed(), NOISE_STREAM));
      return r.withParameters(Updates.plus(global, d));
    };
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return super.beginAggregation(round, global).andThen(r -> {
      tracker.record();
      return new AggregateResult(r.parameters(), r.metrics().with(tracker.metrics()), r.verdicts());
    });
  }

  /** The delegate's state plus the releases counted so far, so a resumed server continues its budget. */
  @Override
  public ParameterSet saveState() {
    List<Tensor> out = new ArrayList<>();
    out.add(StateTensors.ofLong(STATE_PREFIX + "steps", tracker.steps()));
    out.addAll(super.saveState().tensors());
    return ParameterSet.of(out);
  }

  /** Restores {@link #saveState()} after {@link #prepare}. */
  @Override
  public void restoreState(ParameterSet saved) {
    List<List<Tensor>> parts = StateTensors.split(saved, STATE_PREFIX);
    for (Tensor t : parts.get(0)) {
      if (!t.name().equals(STATE_PREFIX + "steps")) {
        throw new IllegalArgumentException(describe() + ": unknown state tensor '" + t.name() + "'");
      }
      tracker.restore(StateTensors.longOf(t));
    }
    super.restoreState(ParameterSet.of(parts.get(1)));
  }

  @Override
  public String describe() {
    return String.format(Locale.ROOT, "LocalDp(C=%s, sigma=%s, delta=%s, accountant=%s%s%s) <- %s", config.clipNorm(),
        config.noiseMultiplier(), config.delta(), config.accountant().name(),
        config.targetEpsilon().isPresent() ? ", target epsilon=" + config.targetEpsilon().getAsDouble() : "",
        config.seededNoise() ? ", seeded noise" : "", super.describe());
  }
}
