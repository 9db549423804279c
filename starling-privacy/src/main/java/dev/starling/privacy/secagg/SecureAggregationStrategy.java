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
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;

/**
 * Runs every round's aggregation through secure aggregation ({@link SecAggClient}, {@link SecAggServer}):
 * each selected client's update {@code w_i - global} is fixed-point encoded and masked, the server learns
 * only the sum over the clients that sent a masked input (drop-outs after key sharing are recovered), and
 * the decorated strategy receives {@code global + sum / survivors} as the round's single update. Every
 * client has weight 1 (example weights would have to be revealed or aggregated alongside).
 *
 * <p>Strategies that need individual updates (robust rules such as Krum or the median) are refused at
 * construction, before round 1, because the server never sees an individual update.
 *
 * <p>In a simulation both protocol halves run in this JVM (in {@link Aggregation#accept} and
 * {@link Aggregation#finish}), which exercises the full protocol, its cryptography and its drop-out
 * recovery but not the network; a networked deployment runs {@link SecAggClient} on the devices and
 * carries {@link SecAggMessages} over its transport. Metrics: {@code secagg_bytes_up} (all clients),
 * {@code secagg_server_seconds}; a round in which more clients dropped out than the threshold tolerates
 * cannot be unmasked, keeps the global model (with central DP: releases noise alone, charged as a round)
 * and reports {@code secagg_unmask_failed = 1}. Thread-confined.
 */
public final class SecureAggregationStrategy extends ForwardingStrategy implements PrivateStrategy {
  private final double dropoutTolerance;
  private final double maxAbs;
  private final int neighbours;
  private final boolean authenticated;
  private final SecureRandom rng = new SecureRandom();
  private final Map<Integer, List<ClientId>> selected = new HashMap<>();
  private final CentralDpConfig dp;
  private final RandomSource noise;
  private final PrivacyBudgetTracker tracker;
  private FixedPoint codec;
  private int perRound;

  /**
   * Secure aggregation tolerating the drop-out of up to {@code dropoutTolerance} of each round's clients,
   * for updates whose coordinates lie in {@code [-maxAbs, maxAbs]}.
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

  /**
   * Secure aggregation with user-level central DP on the sum ("distributed DP" trust model): every
   * client clips its own update to norm C before encoding and masking (a client interceptor), and the
   * server adds {@code N(0, (z C)^2)} to the unmasked sum and divides by the planned clients per round,
   * exactly as {@link dev.starling.privacy.dp.CentralDpStrategy} does, but without ever seeing an
   * individual update. The guarantee assumes clients run the clipping interceptor and the server adds the
   * noise. Only fixed clipping ({@code dp.adaptive()} is refused). {@code noise}: secure in production.
   */
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
    super(delegate);
    this.authenticated = authenticated;
    this.neighbours = SecAggParams.checkNeighbours(neighbours);
    Checks.checkArgument(dropoutTolerance >= 0 && dropoutTolerance < 0.5, "dropoutTolerance", "in [0, 0.5)", dropoutTolerance);
    this.dropoutTolerance = dropoutTolerance;
    this.maxAbs = Checks.checkPositive(maxAbs, "maxAbs");
    refuseIndividual(delegate);
    if (dp != null) {
      Checks.checkArgument(!dp.adaptive(), "central DP under secure aggregation", "fixed clipping (adaptive clipping"
          + " would need the clipped-count bits aggregated securely too)", "adaptive");
      Checks.checkArgument(dp.clipNorm() <= maxAbs, "clip norm under secure aggregation", "<= the encoding range "
          + maxAbs + " (a clipped update's coordinates are at most C)", dp.clipNorm());
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
      double c = dp.clipNorm();
      chain.add(0, (global, config, state, next) -> {
        TrainResult r = next.fit(global, config);
        double[] d = Updates.delta(r.parameters(), global);
        Updates.clip(d, c);
        return r.withParameters(Updates.plus(global, d));
      });
    }
    return chain;
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
    codec = codecFor(k, maxAbs);
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
    Checks.checkState(codec != null, "SecureAggregationStrategy.prepare must be called before round 1");
    List<ClientId> ids = selected.remove(round);
    Checks.checkState(ids != null && ids.size() >= 3, "secure aggregation needs >= 3 clients configured in round " + round);
    int length = Math.toIntExact(global.size());
    SecAggParams params = SecAggParams.forClients(ids.size(), dropoutTolerance, neighbours, rng.nextLong(), codec, length);
    long t0 = System.nanoTime();
    Map<Integer, java.security.KeyPair> identities = new HashMap<>();
    Map<Integer, java.security.PublicKey> pki = new HashMap<>();
    if (authenticated) {
      for (int i = 0; i < ids.size(); i++) {
        identities.put(i, SecAggAuth.newIdentity(rng));
        pki.put(i, identities.get(i).getPublic());
      }
    }
    SecAggServer server = new SecAggServer(params, authenticated ? new SecAggAuth(null, pki) : null);
    Map<ClientId, SecAggClient> clients = new HashMap<>();
    long[] up = new long[1];
    for (int i = 0; i < ids.size(); i++) {
      SecAggClient c = new SecAggClient(i, params, rng, authenticated ? new SecAggAuth(identities.get(i), pki) : null);
      clients.put(ids.get(i), c);
      SecAggMessages.AdvertiseKeys k = c.advertise();
      up[0] += k.wireBytes();
      server.receive(k);
    }
    SecAggMessages.KeyDirectory dir = server.directory();
    for (SecAggClient c : clients.values()) {
      List<SecAggMessages.EncryptedShare> s = c.shareKeys(dir);
      up[0] += SecAggMessages.bytes(s);
      server.receiveShares(c.id(), s);
    }
    Map<Integer, List<SecAggMessages.EncryptedShare>> inboxes = server.inboxes();
    double setupSeconds = (System.nanoTime() - t0) / 1e9;
    return new Aggregation() {
      private final List<SecAggClient> maskedBy = new ArrayList<>();
      private final LossTally trainLoss = new LossTally();
      private long examples;

      @Override
      public void accept(ClientId client, TrainResult result) {
        SecAggClient c = clients.get(client);
        Checks.checkState(c != null, "client " + client + " was not configured for round " + round);
        float[] w = result.parameters().flatten();
        float[] g = global.flatten();
        for (int i = 0; i < w.length; i++) {
          w[i] -= g[i];
        }
        SecAggMessages.MaskedInput m = c.maskInput(inboxes.get(c.id()), w);
        up[0] += m.wireBytes();
        server.receiveMasked(m);
        maskedBy.add(c);
        examples += result.numExamples();
        trainLoss.add(result);
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        long s0 = System.nanoTime();
        double[] sum = null;
        boolean unmaskFailed = false;
        if (!maskedBy.isEmpty()) {
          try {
            if (authenticated) {
              SecAggMessages.UnmaskRequest check = server.consistencyRequest();
              for (SecAggClient c : maskedBy) {
                SecAggMessages.SurvivorSignature sig = c.signSurvivors(check);
                up[0] += sig.wireBytes();
                server.receiveSurvivorSignature(sig);
              }
            }
            SecAggMessages.UnmaskRequest req = server.unmaskRequest();
            for (SecAggClient c : maskedBy) {
              SecAggMessages.UnmaskResponse r = c.unmask(req);
              up[0] += r.wireBytes();
              server.receiveUnmask(r);
            }
            sum = server.finish();
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
                .put("secagg_bytes_up", up[0]);
            if (unmaskFailed) {
              mb.put("secagg_unmask_failed", 1);
            }
            return new AggregateResult(r.parameters(), mb.build(), r.verdicts());
          }
          // Under DP the round still releases noise alone (an empty sum), so that whether anyone took part
          // is itself protected; it is charged like any other round.
          sum = new double[length];
        }
        double serverSeconds = setupSeconds + (System.nanoTime() - s0) / 1e9;
        int n = unmaskFailed ? 0 : maskedBy.size();
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
        out.put("clients_aggregated", n).put("examples", unmaskFailed ? 0 : examples).put("secagg_bytes_up", up[0]).put("secagg_server_seconds", serverSeconds);
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
    return String.format(Locale.ROOT, "SecureAggregation(dropout tolerance=%s, range=+-%s%s%s%s) <- %s", dropoutTolerance,
        maxAbs, neighbours == 0 ? "" : ", SecAgg+ " + neighbours + " neighbours",
        authenticated ? ", authenticated (signed keys, consistency check)" : "", dpPart, super.describe());
  }

}
