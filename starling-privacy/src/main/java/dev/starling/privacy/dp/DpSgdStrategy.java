package dev.starling.privacy.dp;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.privacy.accounting.PrivacyAccountant;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Example-level DP-SGD inside every client's local training (the learner does the clipping and noise,
 * {@link DpSgdSettings}), with the accounting on the server: client k with n_k examples and batch size B
 * runs steps of sampling rate {@code q_k = B / n_k}; the strategy counts each client's steps from its
 * {@code localSteps} replies and reports as {@code epsilon} the largest per-client epsilon so far
 * (example-level, add-or-remove-one, for that client's dataset). Mini-batches are shuffled fixed-size
 * batches while the accountant assumes Poisson sampling of rate B / n_k (the usual approximation, as in
 * Opacus and TensorFlow Privacy tutorials).
 *
 * <p>Budget: with a target, the run stops before a round in which a client that has already taken part
 * would exceed it if it took part again with the same number of steps. If the clients' dataset sizes are
 * declared with {@link #plan} (a simulation knows them; a networked server would learn them at
 * registration), a run whose first round would already exceed the target for some client is refused
 * before round 1, and the stop also covers clients that have not taken part yet; without it, sizes are
 * learned from the replies. Thread-confined.
 */
public final class DpSgdStrategy extends ForwardingStrategy implements PrivateStrategy {
  private final DpSgdSettings settings;
  private final PrivacyAccountant accountant;
  private final double delta;
  private final OptionalDouble target;
  private final Map<ClientId, long[]> stepsAndSize = new HashMap<>();
  private final Map<java.util.List<Long>, Double> cache = new HashMap<>();
  private int batchSize;
  private double epsilon;
  private List<Integer> plannedSizes = List.of();
  private int plannedEpochs;

  public DpSgdStrategy(Strategy delegate, DpSgdSettings settings, PrivacyAccountant accountant, double delta,
      OptionalDouble targetEpsilon) {
    super(delegate);
    this.settings = Objects.requireNonNull(settings, "settings");
    this.accountant = Objects.requireNonNull(accountant, "accountant");
    Checks.checkArgument(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
    this.delta = delta;
    this.target = Objects.requireNonNull(targetEpsilon, "targetEpsilon");
  }

  /**
   * Declares the clients' dataset sizes and the local schedule, so that the budget can be checked before
   * round 1 and for clients not yet seen.
   */
  public void plan(List<Integer> clientSizes, int localEpochs, int batch) {
    Checks.checkPositive(localEpochs, "localEpochs");
    Checks.checkPositive(batch, "batchSize");
    this.batchSize = batch;
    this.plannedSizes = List.copyOf(clientSizes);
    this.plannedEpochs = localEpochs;
  }

  private long stepsPerRound(long n) {
    return plannedEpochs * ((n + batchSize - 1) / batchSize);
  }

  @Override
  public void prepare(dev.starling.strategy.RoundPlan roundPlan) {
    if (target.isPresent() && !plannedSizes.isEmpty()) {
      int worstN = -1;
      double worst = 0;
      for (int n : plannedSizes) {
        double e = n > 0 ? epsilonOf(stepsPerRound(n), n) : 0;
        if (e > worst) {
          worst = e;
          worstN = n;
        }
      }
      if (worst > target.getAsDouble()) {
        throw new dev.starling.core.error.FlException(dev.starling.core.error.ErrorCode.BUDGET_EXHAUSTED,
            String.format(Locale.ROOT, "refusing to start: one round of DP-SGD already spends epsilon %.4f > target"
                + " %s for a client with %d examples (batch %d, %d local epochs, noise multiplier %s); raise the noise"
                + " multiplier, lower the local epochs or the batch size, or raise --target-epsilon",
                worst, target.getAsDouble(), worstN, batchSize, plannedEpochs, settings.noiseMultiplier()));
      }
    }
    super.prepare(roundPlan);
  }

  @Override
  public TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
    TrainConfig c = super.configureTrain(round, client, base);
    batchSize = c.batchSize();
    return settings.attachTo(c);
  }

  private double epsilonOf(long steps, long n) {
    // Clients with equal sizes and participation share one (possibly expensive) accountant call.
    return cache.computeIfAbsent(java.util.List.of(steps, n, (long) batchSize), k -> {
      double q = Math.min(1.0, (double) Math.min(batchSize, n) / n);
      return accountant.epsilon(q, settings.noiseMultiplier(), steps, delta);
    });
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    Aggregation inner = super.beginAggregation(round, global);
    return new Aggregation() {
      @Override
      public void accept(ClientId client, TrainResult result) {
        long[] s = stepsAndSize.computeIfAbsent(client, k -> new long[3]);
        s[0] += result.localSteps();
        s[1] = result.numExamples();
        s[2] = result.localSteps();
        inner.accept(client, result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        AggregateResult r = inner.finish(failures);
        double worst = 0;
        for (long[] s : stepsAndSize.values()) {
          if (s[1] > 0) {
            worst = Math.max(worst, epsilonOf(s[0], s[1]));
          }
        }
        epsilon = worst;
        Metrics m = r.metrics().with(Metrics.builder().put(PrivacyBudgetTracker.EPSILON, epsilon)
            .put(PrivacyBudgetTracker.DELTA, delta).build());
        return new AggregateResult(r.parameters(), m, r.verdicts());
      }
    };
  }

  @Override
  public Optional<String> budgetExhausted() {
    if (target.isEmpty()) {
      return Optional.empty();
    }
    for (int n : plannedSizes) {
      if (n > 0 && epsilonOf(stepsPerRound(n), n) > target.getAsDouble()) {
        return Optional.of("privacy budget: a client with " + n + " examples would exceed target " + target.getAsDouble());
      }
    }
    for (Map.Entry<ClientId, long[]> e : stepsAndSize.entrySet()) {
      long[] s = e.getValue();
      if (s[1] == 0) {
        continue;
      }
      double next = epsilonOf(s[0] + s[2], s[1]);
      if (next > target.getAsDouble()) {
        return Optional.of(String.format(Locale.ROOT, "privacy budget: another round would raise client %s's"
            + " epsilon to %.4f > target %s; stopped at epsilon %.4f (delta %s)", e.getKey(), next,
            target.getAsDouble(), epsilon, delta));
      }
    }
    return Optional.empty();
  }

  private static final String STATE_PREFIX = "dp.sgd.";
  private static final String CLIENT_PREFIX = STATE_PREFIX + "client/";

  /**
   * The delegate's state plus the accounting: for every client that took part, its DP-SGD steps so far,
   * its dataset size and its last round's steps ({@code dp.sgd.client/ID}), and the epsilon reported.
   * Restored after {@link #prepare}, a resumed run's epsilon goes on from where it stopped rather than
   * from 0 (which would spend the budget twice).
   */
  @Override
  public ParameterSet saveState() {
    List<dev.starling.core.tensor.Tensor> out = new java.util.ArrayList<>();
    out.add(StateTensors.ofDouble(STATE_PREFIX + "epsilon", epsilon));
    new java.util.TreeMap<>(stepsAndSize).forEach((id, s) -> {
      float[] f = new float[12];
      for (int k = 0; k < 3; k++) {
        System.arraycopy(StateTensors.ofLong("x", s[k]).data(), 0, f, 4 * k, 4);
      }
      out.add(dev.starling.core.tensor.Tensor.of(CLIENT_PREFIX + id.value(), f, 12));
    });
    out.addAll(super.saveState().tensors());
    return ParameterSet.of(out);
  }

  @Override
  public void restoreState(ParameterSet saved) {
    List<List<dev.starling.core.tensor.Tensor>> parts = StateTensors.split(saved, STATE_PREFIX);
    stepsAndSize.clear();
    for (dev.starling.core.tensor.Tensor t : parts.get(0)) {
      if (t.name().equals(STATE_PREFIX + "epsilon")) {
        epsilon = StateTensors.doubleOf(t);
      } else if (t.name().startsWith(CLIENT_PREFIX) && t.size() == 12) {
        long[] s = new long[3];
        for (int k = 0; k < 3; k++) {
          s[k] = StateTensors.longOf(dev.starling.core.tensor.Tensor.of("x", java.util.Arrays.copyOfRange(t.data(), 4 * k,
              4 * k + 4), 4));
        }
        stepsAndSize.put(new ClientId(t.name().substring(CLIENT_PREFIX.length())), s);
      } else {
        throw new IllegalArgumentException(describe() + ": unexpected state tensor '" + t.name() + "'");
      }
    }
    super.restoreState(ParameterSet.of(parts.get(1)));
  }

  /** The DP-SGD settings every client's learner is asked to apply. */
  public DpSgdSettings settings() {
    return settings;
  }

  /** The largest per-client epsilon so far (0 before the first round). */
  public double epsilon() {
    return epsilon;
  }

  @Override
  public String describe() {
    return String.format(Locale.ROOT, "DpSgd(C=%s, z=%s, delta=%s, accountant=%s%s) <- %s", settings.clipNorm(),
        settings.noiseMultiplier(), delta, accountant.name(),
        target.isPresent() ? ", target epsilon=" + target.getAsDouble() : "", super.describe());
  }
}
