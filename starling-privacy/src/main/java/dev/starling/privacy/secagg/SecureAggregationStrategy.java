package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.privacy.dp.CentralDpConfig;
import dev.starling.privacy.dp.GaussianNoise;
import dev.starling.privacy.dp.PrivacyBudgetTracker;
import dev.starling.privacy.dp.PrivateStrategy;
import dev.starling.privacy.dp.Updates;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.aggregate.LossTally;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Runs every round's aggregation through secure aggregation, over a {@link SecureSum}: in a simulation
 * {@link InProcessSecureSum} (both protocol halves in this JVM), over the network transport-grpc's
 * {@code GrpcSecureSum} (the clients mask in their own processes). Each selected client's update
 * {@code w_i - global} is masked, the server learns only the sum over the clients whose contribution is in it
 * (drop-outs after key sharing are recovered), and the decorated strategy receives {@code global + sum / n} as
 * the round's single update. Every client has weight 1 (example weights would have to be revealed or aggregated
 * alongside).
 *
 * <p>Strategies that need individual updates (robust rules such as Krum or the median) or each client's own
 * details are refused at construction, before round 1, because the server never sees an individual update.
 *
 * <p>Metrics: the secure sum's own ({@code secagg_bytes_up}, {@code secagg_server_seconds}, ...), plus
 * {@code clients_aggregated}, {@code examples} and {@code train_loss}; a round in which more clients dropped out
 * than the threshold tolerates cannot be unmasked, keeps the global model (with central DP: releases noise
 * alone, charged as a round) and reports {@code secagg_unmask_failed = 1}. Thread-confined.
 */
public final class SecureAggregationStrategy extends ForwardingStrategy implements PrivateStrategy {
  private final SecureSum secureSum;
  private final Map<Integer, List<ClientId>> selected = new HashMap<>();
  private final CentralDpConfig dp;
  private final RandomSource noise;
  private final PrivacyBudgetTracker tracker;
  private int perRound;

  /**
   * Secure aggregation tolerating the drop-out of up to {@code dropoutTolerance} of each round's clients,
   * for updates whose coordinates lie in {@code [-maxAbs, maxAbs]}, in this JVM ({@link InProcessSecureSum}).
   */
  public SecureAggregationStrategy(Strategy delegate, double dropoutTolerance, double maxAbs) {
    this(delegate, dropoutTolerance, maxAbs, 0, null, null);
  }

  /**
   * As above, on SecAgg+'s sparse graph with {@code neighbours} ring neighbours per client (0: the complete
   * graph); see {@link SecAggParams#forClients(int, double, int, long, FixedPoint, int)}.
   */
  public SecureAggregationStrategy(Strategy delegate, double dropoutTolerance, double maxAbs, int neighbours) {
    this(delegate, dropoutTolerance, maxAbs, neighbours, null, null);
  }

  /** Secure aggregation with central DP on the sum, on the complete graph (see the next constructor). */
  public SecureAggregationStrategy(Strategy delegate, double dropoutTolerance, double maxAbs, CentralDpConfig dp,
      RandomSource noise) {
    this(delegate, dropoutTolerance, maxAbs, 0, dp, noise);
  }

  /** In this JVM with central DP on the sum; see {@link #SecureAggregationStrategy(Strategy, SecureSum, CentralDpConfig, RandomSource)}. */
  public SecureAggregationStrategy(Strategy delegate, double dropoutTolerance, double maxAbs, int neighbours,
      CentralDpConfig dp, RandomSource noise) {
    this(delegate, dropoutTolerance, maxAbs, neighbours, dp, noise, false);
  }

  /**
   * As above; {@code authenticated} runs the actively secure variant ({@link SecAggAuth}): every virtual
   * client gets a fresh Ed25519 identity key each round (the in-JVM PKI), signs its keys, and the survivors
   * sign the survivor list and key directory (the consistency check) before anyone reveals a share.
   */
  public SecureAggregationStrategy(Strategy delegate, double dropoutTolerance, double maxAbs, int neighbours,
      CentralDpConfig dp, RandomSource noise, boolean authenticated) {
    this(delegate, new InProcessSecureSum(dropoutTolerance, maxAbs, neighbours, authenticated), dp, noise);
  }

  /** Secure aggregation over {@code secureSum}, without DP. */
  public SecureAggregationStrategy(Strategy delegate, SecureSum secureSum) {
    this(delegate, secureSum, null, null);
  }

  /**
   * Secure aggregation over {@code secureSum} with user-level central DP on the sum ("distributed DP" trust
   * model; {@code dp} null for none): every client clips its own update to norm C before masking (the client
   * interceptor {@link #clipInterceptor}, which networked clients install when the server names
   * {@code clip:C}), and the server adds {@code N(0, (z C)^2)} to the unmasked sum and divides by the planned
   * clients per round, exactly as {@link dev.starling.privacy.dp.CentralDpStrategy} does, but without ever
   * seeing an individual update. The guarantee assumes clients clip and the server adds the noise. Only fixed
   * clipping ({@code dp.adaptive()} is refused). {@code noise}: secure in production.
   */
  public SecureAggregationStrategy(Strategy delegate, SecureSum secureSum, CentralDpConfig dp, RandomSource noise) {
    super(delegate);
    this.secureSum = java.util.Objects.requireNonNull(secureSum, "secureSum");
    refuseIndividual(delegate);
    if (dp != null) {
      Checks.checkArgument(!dp.adaptive(), "central DP under secure aggregation", "fixed clipping (adaptive clipping"
          + " would need the clipped-count bits aggregated securely too)", "adaptive");
      Checks.checkArgument(dp.clipNorm() <= secureSum.maxAbs(), "clip norm under secure aggregation", "<= the encoding"
          + " range " + secureSum.maxAbs() + " (a clipped update's coordinates are at most C)", dp.clipNorm());
    }
    this.dp = dp;
    this.noise = dp == null ? null : java.util.Objects.requireNonNull(noise, "noise");
    this.tracker = dp == null ? null : new PrivacyBudgetTracker(dp.accountant(), dp.delta(), dp.targetEpsilon());
  }

  @Override
  public Optional<String> budgetExhausted() {
    return tracker == null ? Optional.empty() : tracker.exhausted();
  }

  @Override
  public List<TrainInterceptor> clientInterceptors() {
    List<TrainInterceptor> chain = new ArrayList<>(super.clientInterceptors());
    if (dp != null) {
      chain.add(0, clipInterceptor(dp.clipNorm()));
    }
    return chain;
  }

  /** The client half of central DP under secure aggregation: clips the update {@code w - global} to L2 norm {@code c}. */
  public static TrainInterceptor clipInterceptor(double c) {
    Checks.checkPositive(c, "clip norm");
    return (global, config, state, next) -> {
      TrainResult r = next.fit(global, config);
      double[] d = Updates.delta(r.parameters(), global);
      Updates.clip(d, c);
      return r.withParameters(Updates.plus(global, d));
    };
  }

  /** The central DP clip norm clients must apply before masking, if this instance adds central DP noise. */
  public OptionalDouble clientClipNorm() {
    return dp == null ? OptionalDouble.empty() : OptionalDouble.of(dp.clipNorm());
  }

  /**
   * Throws {@link IllegalArgumentException} explaining why {@code s} cannot run under secure aggregation
   * and what to use instead, unless one combined update per round ({@code SUM_ONLY}) is all it needs.
   */
  public static void refuseIndividual(Strategy s) {
    if (s.requiredInput() == AggregationInput.PER_CLIENT_DETAILS) {
      throw new IllegalArgumentException("secure aggregation cannot run " + s.describe() + ": under secure"
          + " aggregation the server learns only the sum of the updates, but this strategy also needs each client's"
          + " own details, which the sum loses (FedNova: local step counts; SCAFFOLD: control variates; sub-models:"
          + " trained positions). Use a sum-based strategy (fedavg, fedavgm, fedadam, fedyogi, fedadagrad, fedprox)"
          + " with --secagg, or drop --secagg");
    }
    if (s.requiredInput() == AggregationInput.INDIVIDUAL_UPDATES) {
      throw new IllegalArgumentException("secure aggregation cannot run " + s.describe() + ": under secure"
          + " aggregation the server learns only the sum of the updates, but this rule must inspect every"
          + " individual update (to rank, trim, clip or exclude them). Use a sum-based strategy (fedavg, fedavgm,"
          + " fedadam, fedyogi, fedadagrad, fedprox) and bound each client's influence on the client instead"
          + " (--dp local:CLIP,SIGMA clips every update before masking), or drop --secagg to keep the robust rule");
    }
  }

  /** Whether this instance adds central DP noise to the sum. */
  public boolean hasCentralDp() {
    return dp != null;
  }

  /** The decorated strategy. */
  public Strategy delegateStrategy() {
    return delegate();
  }

  @Override
  public void prepare(RoundPlan plan) {
    refuseIndividual(delegate());
    Checks.checkArgument(plan.clientsPerRound() >= 3, "clients per round under secure aggregation", ">= 3",
        plan.clientsPerRound());
    int k = plan.clientsPerRound();
    secureSum.prepare(k);
    perRound = k;
    if (tracker != null) {
      tracker.configure((double) k / plan.totalClients(), dp.noiseMultiplier());
      tracker.checkCanStart();
    }
    super.prepare(plan);
  }

  /**
   * The finest fixed-point codec for sums of {@code clients} inputs in {@code [-maxAbs, maxAbs]}: the most
   * fractional bits (at most 30) for which the sum cannot overflow a signed 32-bit integer.
   */
  public static FixedPoint codecFor(int clients, double maxAbs) {
    int bits = 0;
    while (bits < 30 && clients * Math.ceil(maxAbs * Math.scalb(1.0, bits + 1)) <= Integer.MAX_VALUE) {
      bits++;
    }
    return new FixedPoint(bits, maxAbs, clients);
  }

  @Override
  public TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
    selected.computeIfAbsent(round, r -> new ArrayList<>()).add(client);
    return super.configureTrain(round, client, base);
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    List<ClientId> ids = selected.remove(round);
    SecureSum.Round sums = secureSum.begin(round, global, ids == null ? List.of() : List.copyOf(ids));
    int length = Math.toIntExact(global.size());
    return new Aggregation() {
      private final LossTally trainLoss = new LossTally();
      private int accepted;
      private long examples;

      @Override
      public void accept(ClientId client, TrainResult result) {
        sums.add(client, result);
        accepted++;
        examples += result.numExamples();
        trainLoss.add(result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        double[] sum = null;
        int n = 0;
        boolean unmaskFailed = false;
        if (accepted == 0) {
          sums.abandon();
        } else {
          try {
            SecureSum.Total t = sums.finish();
            sum = t.sum();
            n = t.contributors();
          } catch (FlException e) {
            if (e.code() != ErrorCode.QUORUM_NOT_MET) {
              throw e;
            }
            unmaskFailed = true; // more clients dropped out than the threshold tolerates
          }
        }
        if (sum == null) {
          if (dp == null) {
            // Nothing to release: keep the model.
            AggregateResult r = SecureAggregationStrategy.super.beginAggregation(round, global).finish(failures);
            Metrics.Builder mb = Metrics.builder().putAll(r.metrics()).put("clients_aggregated", 0)
                .putAll(sums.metrics());
            if (unmaskFailed) {
              mb.put("secagg_unmask_failed", 1);
            }
            return new AggregateResult(r.parameters(), mb.build(), r.verdicts());
          }
          // Under DP the round still releases noise alone (an empty sum), so that whether anyone took part
          // is itself protected; it is charged like any other round.
          sum = new double[length];
          n = 0;
        }
        double denominator = Math.max(1, n);
        if (dp != null) {
          GaussianNoise.of(dp.clipNorm(), dp.noiseMultiplier(), sum.length).addTo(sum,
              dev.starling.privacy.dp.CentralDpStrategy.roundNoise(noise, round));
          denominator = perRound;
          tracker.record();
        }
        for (int i = 0; i < sum.length; i++) {
          sum[i] /= denominator;
        }
        ParameterSet candidate = Updates.plus(global, sum);
        Aggregation inner = SecureAggregationStrategy.super.beginAggregation(round, global);
        Metrics m = Metrics.of(Metrics.LOSS, unmaskFailed ? Double.NaN : trainLoss.mean());
        inner.accept(new ClientId("secagg-sum"), new TrainResult(candidate, 1, 1, m));
        AggregateResult r = inner.finish(failures);
        Metrics.Builder out = Metrics.builder().putAll(r.metrics());
        trainLoss.putInto(out);
        if (unmaskFailed) {
          out.put("secagg_unmask_failed", 1);
        }
        out.put("clients_aggregated", n).put("examples", unmaskFailed ? 0 : examples).putAll(sums.metrics());
        if (tracker != null) {
          out.putAll(tracker.metrics());
        }
        return new AggregateResult(r.parameters(), out.build(), r.verdicts());
      }
    };
  }

  private static final String STATE_PREFIX = "secagg.dp.";

  /** The delegate's state, plus the central DP releases so far when this instance adds central DP noise. */
  @Override
  public ParameterSet saveState() {
    if (tracker == null) {
      return super.saveState();
    }
    List<dev.starling.core.tensor.Tensor> out = new ArrayList<>();
    out.add(dev.starling.privacy.dp.StateTensors.ofLong(STATE_PREFIX + "steps", tracker.steps()));
    out.addAll(super.saveState().tensors());
    return ParameterSet.of(out);
  }

  /** Restores {@link #saveState()} after {@link #prepare}: with central DP, the budget already spent. */
  @Override
  public void restoreState(ParameterSet saved) {
    List<List<dev.starling.core.tensor.Tensor>> parts = dev.starling.privacy.dp.StateTensors.split(saved, STATE_PREFIX);
    for (dev.starling.core.tensor.Tensor t : parts.get(0)) {
      if (tracker == null || !t.name().equals(STATE_PREFIX + "steps")) {
        throw new IllegalArgumentException(describe() + ": unexpected state tensor '" + t.name() + "'");
      }
      tracker.restore(dev.starling.privacy.dp.StateTensors.longOf(t));
    }
    super.restoreState(ParameterSet.of(parts.get(1)));
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.SUM_ONLY;
  }

  @Override
  public String describe() {
    String dpPart = dp == null ? "" : String.format(Locale.ROOT, ", central DP C=%s z=%s delta=%s accountant=%s%s",
        dp.clipNorm(), dp.noiseMultiplier(), dp.delta(), dp.accountant().name(),
        dp.targetEpsilon().isPresent() ? " target epsilon=" + dp.targetEpsilon().getAsDouble() : "");
    return "SecureAggregation(" + secureSum.describe() + dpPart + ") <- " + super.describe();
  }
}
