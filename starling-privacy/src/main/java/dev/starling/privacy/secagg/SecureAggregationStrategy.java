package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.AggregateResult;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.RoundPlan;
import dev.starling.strategy.Strategy;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

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
 * cannot be unmasked, keeps the global model and reports {@code secagg_unmask_failed = 1}. Thread-confined.
 */
public final class SecureAggregationStrategy extends ForwardingStrategy {
  private final double dropoutTolerance;
  private final double maxAbs;
  private final SecureRandom rng = new SecureRandom();
  private final Map<Integer, List<ClientId>> selected = new HashMap<>();
  private FixedPoint codec;

  /**
   * Secure aggregation tolerating the drop-out of up to {@code dropoutTolerance} of each round's clients,
   * for updates whose coordinates lie in {@code [-maxAbs, maxAbs]}.
   */
  public SecureAggregationStrategy(Strategy delegate, double dropoutTolerance, double maxAbs) {
    super(delegate);
    Checks.checkArgument(dropoutTolerance >= 0 && dropoutTolerance < 0.5, "dropoutTolerance", "in [0, 0.5)", dropoutTolerance);
    this.dropoutTolerance = dropoutTolerance;
    this.maxAbs = Checks.checkPositive(maxAbs, "maxAbs");
    refuseIndividual(delegate);
  }

  /**
   * Throws {@link IllegalArgumentException} explaining why {@code s} cannot run under secure aggregation
   * and what to use instead, if it needs individual updates.
   */
  public static void refuseIndividual(Strategy s) {
    if (s.requiredInput() == AggregationInput.INDIVIDUAL_UPDATES) {
      throw new IllegalArgumentException("secure aggregation cannot run " + s.describe() + ": under secure"
          + " aggregation the server learns only the sum of the updates, but this rule must inspect every"
          + " individual update (to rank, trim, clip or exclude them). Use a sum-based strategy (fedavg, fedavgm,"
          + " fedadam, fedyogi, fedadagrad, fedprox) and bound each client's influence on the client instead"
          + " (--dp local:CLIP,SIGMA clips every update before masking), or drop --secagg to keep the robust rule");
    }
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
    codec = codecFor(plan.clientsPerRound(), maxAbs);
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
    SecAggParams params = SecAggParams.forClients(ids.size(), dropoutTolerance, codec, length);
    long t0 = System.nanoTime();
    SecAggServer server = new SecAggServer(params);
    Map<ClientId, SecAggClient> clients = new HashMap<>();
    long[] up = new long[1];
    for (int i = 0; i < ids.size(); i++) {
      SecAggClient c = new SecAggClient(i, params, rng);
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
      private double lossSum;
      private double lossWeight;
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
        double loss = result.metrics().getOrNaN(Metrics.LOSS);
        if (!Double.isNaN(loss) && result.numExamples() > 0) {
          lossSum += loss * result.numExamples();
          lossWeight += result.numExamples();
        }
      }

      @Override
      public AggregateResult finish(List<ClientFailure> failures) {
        if (maskedBy.isEmpty()) {
          return SecureAggregationStrategy.super.beginAggregation(round, global).finish(failures);
        }
        long s0 = System.nanoTime();
        double[] sum;
        try {
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
          // More clients dropped out than the threshold tolerates: nothing can be unmasked; keep the model.
          return new AggregateResult(global, Metrics.builder().put("secagg_unmask_failed", 1)
              .put("clients_aggregated", 0).put("secagg_bytes_up", up[0]).build());
        }
        double serverSeconds = setupSeconds + (System.nanoTime() - s0) / 1e9;
        int n = maskedBy.size();
        for (int i = 0; i < sum.length; i++) {
          sum[i] /= n;
        }
        ParameterSet candidate = dev.starling.privacy.dp.Updates.plus(global, sum);
        Aggregation inner = SecureAggregationStrategy.super.beginAggregation(round, global);
        Metrics m = Metrics.of(Metrics.LOSS, lossWeight > 0 ? lossSum / lossWeight : Double.NaN);
        inner.accept(new ClientId("secagg-sum"), new TrainResult(candidate, 1, 1, m));
        AggregateResult r = inner.finish(failures);
        Metrics.Builder out = Metrics.builder().putAll(r.metrics());
        if (lossWeight > 0) {
          out.put("train_loss", lossSum / lossWeight);
        }
        out.put("clients_aggregated", n).put("examples", examples).put("secagg_bytes_up", up[0]).put("secagg_server_seconds", serverSeconds);
        return new AggregateResult(r.parameters(), out.build(), r.verdicts());
      }
    };
  }

  @Override
  public AggregationInput requiredInput() {
    return AggregationInput.SUM_ONLY;
  }

  @Override
  public String describe() {
    return String.format(Locale.ROOT, "SecureAggregation(dropout tolerance=%s, range=+-%s) <- %s", dropoutTolerance,
        maxAbs, super.describe());
  }

}
