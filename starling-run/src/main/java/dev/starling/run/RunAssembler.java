package dev.starling.run;

import dev.starling.compression.Codecs;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.random.RandomSource;
import dev.starling.learners.Learners;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.learners.submodel.SubModelCapable;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.privacy.accounting.PrivacyAccountant;
import dev.starling.privacy.dp.CentralDpConfig;
import dev.starling.privacy.dp.CentralDpStrategy;
import dev.starling.privacy.dp.DpSgdStrategy;
import dev.starling.privacy.dp.LocalDpConfig;
import dev.starling.privacy.dp.LocalDpStrategy;
import dev.starling.privacy.dp.PrivateStrategy;
import dev.starling.privacy.secagg.InProcessSecureSum;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.privacy.secagg.SecureSum;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.StopCondition;
import dev.starling.simulation.Communication;
import dev.starling.simulation.clock.ClientTrace;
import dev.starling.strategy.AggregationInput;
import dev.starling.strategy.MagnitudePruning;
import dev.starling.strategy.PositionwiseFedAvg;
import dev.starling.strategy.Strategies;
import dev.starling.strategy.Strategy;
import dev.starling.transport.grpc.server.GrpcSecureSum;
import dev.starling.transport.grpc.server.SecAggSettings;
import dev.starling.transport.grpc.wire.SubModelTerms;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;

/**
 * Builds a run from a {@link RunSpec}: the decorated strategy, the client-side settings and the round
 * loop's configuration, for simulation, a networked server and a networked client alike. The decorator
 * order is defined here and nowhere else (innermost first):
 * <ol>
 *   <li>the base strategy ({@code strategy}); with sub-models, position-wise FedAvg;</li>
 *   <li>{@link MagnitudePruning} ({@code prune}), post-processing the aggregate;</li>
 *   <li>one privacy mechanism: {@link CentralDpStrategy}, {@link LocalDpStrategy} or {@link DpSgdStrategy};</li>
 *   <li>secure aggregation, outermost: {@link SecureAggregationStrategy}, which takes central DP's configuration
 *       itself, since only it sees the unmasked sum, over a {@link SecureSum} (in simulation
 *       {@link InProcessSecureSum}; on a networked server a {@link GrpcSecureSum}, which the caller enables on the
 *       server, and clients clip their updates when the Welcome names {@code clip:C}).</li>
 * </ol>
 * Decorators never inspect each other's types: combinations are decided here from the spec and from
 * each strategy's declared {@link Strategy#requiredInput()}. Every combination either works or is refused
 * here, before round 1, with an {@link InvalidRunException} that says why.
 */
public final class RunAssembler {
  private static final long NOISE_STREAM = 0xD9L;
  /** How a networked server names DP-SGD in its Welcome's client privacy: {@code dp-sgd:CLIP,Z}. */
  public static final String DP_SGD_PREFIX = "dp-sgd:";
  /** How a networked server names central DP's client half under secure aggregation: {@code clip:C}. */
  public static final String CLIP_PREFIX = "clip:";

  private RunAssembler() {}

  /** Where the assembled strategy runs. */
  public enum Target {
    /** In-JVM simulation: every feature. */
    SIMULATION,
    /** A networked server: codecs and DP-SGD without secure aggregation. */
    SERVER
  }

  /**
   * What {@link #assemble} built.
   *
   * @param strategy the decorated strategy, ready for the round loop
   * @param budgets the privacy mechanisms that spend a budget (their stop conditions)
   * @param dpSgd the DP-SGD decorator, which needs the clients' dataset sizes before round 1
   * @param clientDp the local DP every networked client must apply, if any
   * @param subModels the sub-model configuration for the clients, if any
   * @param communication the codecs on the wire
   * @param networkSecureSum on a networked server with secure aggregation, the secure sum the strategy's
   *     {@link SecureAggregationStrategy} runs over: enable it on the server
   *     ({@link dev.starling.transport.grpc.server.FederationServer#enableSecureAggregation(GrpcSecureSum)}) before round 1
   * @param clientClip central DP under secure aggregation: the L2 norm every client clips its update to before masking
   */
  public record Assembly(Strategy strategy, List<PrivateStrategy> budgets, Optional<DpSgdStrategy> dpSgd,
      Optional<LocalDpConfig> clientDp, Optional<SubModelConfig> subModels, Communication communication,
      Optional<GrpcSecureSum> networkSecureSum, OptionalDouble clientClip) {

    /** Stop conditions of the spec's loop settings plus one per privacy budget. */
    public List<StopCondition> stopConditions(RunSpec.Loop loop) {
      List<StopCondition> stops = new ArrayList<>();
      loop.targetAccuracy().ifPresent(a -> stops.add(StopCondition.target("test_accuracy", a, true)));
      loop.target().ifPresent(t -> stops.add(t.stopCondition()));
      loop.plateau().ifPresent(p -> stops.add(StopCondition.trainLossPlateau(p)));
      for (PrivateStrategy p : budgets) {
        stops.add(h -> p.budgetExhausted());
      }
      return stops;
    }

    /**
     * The sub-models as a networked server names them in its Welcome
     * ({@link dev.starling.transport.grpc.server.FederationServer#trainSubModels}); empty for full models.
     */
    public Optional<SubModelTerms> subModelTerms() {
      return subModels.map(m -> new SubModelTerms(m.policy().describe(), m.keepMin(), m.keepMax(), m.fullModelEvery(),
          m.seed(), m.dpClip(), m.dpNoise(), m.dpDelta(), m.seededNoise()));
    }

    /** Tells DP-SGD the clients' dataset sizes, so its budget is checked before round 1. */
    public void plan(List<Integer> clientSizes, RunSpec.Training training) {
      dpSgd.ifPresent(d -> d.plan(clientSizes, training.localEpochs(), training.batchSize()));
    }

    /**
     * What every networked client must apply itself, as the server names it in its Welcome
     * ({@link #clientInterceptors} parses it on the client): {@code local:CLIP,SIGMA} for local DP,
     * {@code dp-sgd:CLIP,Z} for DP-SGD, {@code clip:C} for central DP under secure aggregation (clients clip,
     * the server noises the unmasked sum); empty for none.
     */
    public Optional<String> clientPrivacy() {
      if (clientClip.isPresent()) {
        return Optional.of(CLIP_PREFIX + clientClip.getAsDouble());
      }
      if (clientDp.isPresent()) {
        return Optional.of("local:" + clientDp.get().clipNorm() + "," + clientDp.get().noiseMultiplier());
      }
      return dpSgd.map(d -> DP_SGD_PREFIX + d.settings().clipNorm() + "," + d.settings().noiseMultiplier());
    }
  }

  /**
   * Assembles {@code spec} for {@code target}; refuses combinations that cannot work. A networked server's
   * secure aggregation uses {@link #networkSecAgg}'s settings.
   */
  public static Assembly assemble(RunSpec spec, Target target) {
    return assemble(spec, target, null);
  }

  /**
   * As {@link #assemble(RunSpec, Target)}; on a networked server with secure aggregation, over a
   * {@link GrpcSecureSum} with {@code networkSecAgg} (null: {@link #networkSecAgg}'s from the spec), e.g. with the
   * authenticated variant's identity keys.
   */
  public static Assembly assemble(RunSpec spec, Target target, SecAggSettings networkSecAgg) {
    RunSpec.Privacy privacy = spec.privacy();
    RunSpec.Dp dp = privacy.dp();
    boolean secagg = privacy.secagg().isPresent();
    if (spec.p2p().isPresent()) {
      refuseP2p(spec, target);
    }
    if (target == Target.SERVER) {
      refuseOnServer(spec);
    }
    if (!spec.sync().synchronous()) {
      refuseAsync(spec);
    } else if (spec.population().clock().trace().map(ClientTrace::hasWindows).orElse(false)) {
      throw InvalidRunException.refused("client-trace", "availability windows need an asynchronous mode: synchronous"
          + " rounds cannot wait in simulated time for a client to come back; use --sync async, buffered:K,"
          + " semi-sync:DEADLINE, periodic:T or event:THRESHOLD, or a trace with empty availability columns");
    }
    Optional<SubModelConfig> subModels = spec.subModels().map(s -> subModelConfig(spec, s));
    Strategy base = subModels.isPresent() ? subModelStrategy(spec.strategy())
        : InvalidRunException.wrap("strategy", () -> Strategies.parse(spec.strategy()));
    RunSpec.Compression c = spec.compression();
    Strategy s = c.pruneSparsity().isPresent() ? new MagnitudePruning(base, c.pruneSparsity().getAsDouble(), c.pruneRamp())
        : base;

    List<PrivateStrategy> budgets = new ArrayList<>();
    DpSgdStrategy dpSgd = null;
    LocalDpConfig clientDp = null;
    PrivacyAccountant acc = PrivacyAccountant.named(privacy.accountant());
    RandomSource noise = privacy.seededNoise() ? RandomSource.seeded(spec.seed()).derive(NOISE_STREAM) : RandomSource.secure();
    CentralDpConfig centralUnderSecAgg = null;
    switch (dp) {
      case RunSpec.Dp.None none -> { }
      case RunSpec.Dp.Central cd -> {
        CentralDpConfig cfg = (cd.adaptive() ? CentralDpConfig.adaptive(cd.clipOrQuantile(), cd.noiseMultiplier())
            : CentralDpConfig.fixed(cd.clipOrQuantile(), cd.noiseMultiplier())).withDelta(privacy.delta()).withAccountant(acc);
        if (privacy.targetEpsilon().isPresent()) {
          cfg = cfg.withTargetEpsilon(privacy.targetEpsilon().getAsDouble());
        }
        refuseUnlessSum("dp", s, "central DP", "it hands the strategy one noisy sum per round");
        if (secagg) {
          if (cd.adaptive()) {
            throw InvalidRunException.refused("dp", "central-adaptive with secagg: adaptive clipping would need the"
                + " clipped-count bits aggregated securely too; use central:CLIP,Z");
          }
          centralUnderSecAgg = cfg; // secure aggregation applies it: clients clip, the server noises the sum
        } else {
          CentralDpStrategy central = new CentralDpStrategy(s, cfg, noise);
          budgets.add(central);
          s = central;
        }
      }
      case RunSpec.Dp.Local ld -> {
        LocalDpConfig cfg = LocalDpConfig.of(ld.clipNorm(), ld.noiseMultiplier())
            .with(privacy.delta(), privacy.targetEpsilon(), acc, privacy.seededNoise());
        if (subModels.isEmpty()) {
          // sub-model clients apply local DP to the coordinates they send themselves (SubModelConfig)
          if (s.requiredInput() == AggregationInput.PER_CLIENT_DETAILS) {
            throw InvalidRunException.refused("dp", "local DP cannot protect " + s.describe() + ": it clips and noises"
                + " only the model update, but this strategy also sends per-client data beside it (SCAFFOLD: control"
                + " variates; FedNova: local step counts), which would leave the client un-noised. Use fedavg, avg,"
                + " fedprox, a server optimiser or a robust rule with local DP");
          }
          LocalDpStrategy local = new LocalDpStrategy(s, cfg);
          budgets.add(local);
          s = local;
          clientDp = cfg;
        }
      }
      case RunSpec.Dp.Sgd sgd -> {
        if (secagg && target == Target.SERVER) {
          throw InvalidRunException.refused("dp-sgd", "DP-SGD with secagg on a networked server: the server accounts"
              + " each client's epsilon from that client's own reply (its local steps and example count), but under"
              + " secure aggregation it sees only the masked sum; drop secagg, or use dp = local:CLIP,SIGMA with secagg");
        }
        dpSgd = new DpSgdStrategy(s, new DpSgdSettings(sgd.clipNorm(), sgd.noiseMultiplier(), privacy.seededNoise()), acc,
            privacy.delta(), privacy.targetEpsilon());
        budgets.add(dpSgd);
        s = dpSgd;
      }
    }
    GrpcSecureSum networkSum = null;
    if (secagg) {
      RunSpec.SecAgg sa = privacy.secagg().get();
      refuseUnlessSum("secagg", s, "secure aggregation", "under secure aggregation the server learns only the sum of"
          + " the updates");
      // one decorator over a secure sum: both protocol halves in this JVM, or the server half over gRPC
      SecureSum sum;
      if (target == Target.SIMULATION) {
        sum = new InProcessSecureSum(sa.dropoutTolerance(), sa.maxAbs(), sa.neighbours(), sa.authenticated());
      } else {
        networkSum = new GrpcSecureSum(networkSecAgg != null ? networkSecAgg : networkSecAgg(spec));
        sum = networkSum;
      }
      CentralDpConfig central = centralUnderSecAgg;
      Strategy inner = s;
      SecureAggregationStrategy secure = InvalidRunException.wrap("secagg", () -> new SecureAggregationStrategy(
          inner, sum, central, central == null ? null : noise));
      if (centralUnderSecAgg != null) {
        budgets.add(secure);
      }
      s = secure;
    }
    Communication comm = new Communication(Codecs.parse(c.uplink()), c.errorFeedback(), Codecs.parse(c.downlink()));
    OptionalDouble clip = target == Target.SERVER && centralUnderSecAgg != null
        ? OptionalDouble.of(centralUnderSecAgg.clipNorm()) : OptionalDouble.empty();
    return new Assembly(s, List.copyOf(budgets), Optional.ofNullable(dpSgd), Optional.ofNullable(clientDp), subModels, comm,
        Optional.ofNullable(networkSum), clip);
  }

  /**
   * A networked server's secure aggregation settings from the spec: its drop-out tolerance, range and SecAgg+
   * neighbours, each protocol phase waiting at most 30 s (or the round timeout if shorter).
   */
  public static SecAggSettings networkSecAgg(RunSpec spec) {
    RunSpec.SecAgg g = spec.privacy().secagg().orElseThrow(() -> new IllegalArgumentException("the spec has no secagg"));
    Duration round = spec.loop().roundTimeout();
    Duration phase = round.compareTo(Duration.ofSeconds(30)) < 0 ? round : Duration.ofSeconds(30);
    return new SecAggSettings(g.dropoutTolerance(), g.maxAbs(), phase, round, g.neighbours());
  }

  /**
   * The round loop's settings. {@code availableClients}: how many clients a simulation has (the minimum
   * per round is capped at it), or 0 for a networked server.
   */
  public static RoundLoopConfig loopConfig(RunSpec spec, List<StopCondition> stops, FoldOrder foldOrder,
      int availableClients) {
    RunSpec.Loop l = spec.loop();
    int minFit = availableClients > 0 ? Math.min(l.minClients(), availableClients) : l.minClients();
    int minAvailable = l.minAvailableClients().orElse(minFit);
    int minSuccessful = Math.min(l.minSuccessfulClients(), Math.max(minFit, minAvailable));
    if (minSuccessful < l.minSuccessfulClients() && availableClients == 0) {
      throw new InvalidRunException("min-successful-clients", "must be <= max(min-clients, min-available-clients) = "
          + Math.max(minFit, minAvailable) + ". Provided value: " + l.minSuccessfulClients());
    }
    return RoundLoopConfig.builder().rounds(l.rounds()).fractionFit(l.fraction()).minFitClients(minFit)
        .minAvailableClients(minAvailable).minSuccessfulClients(minSuccessful).roundRetries(l.roundRetries())
        .fractionEvaluate(l.fractionEvaluate()).roundTimeout(l.roundTimeout()).availabilityTimeout(l.availabilityTimeout())
        .trainDefaults(spec.training().trainConfig()).stopConditions(stops).seed(spec.seed()).foldOrder(foldOrder).build();
  }

  /**
   * The client half of a networked run: the interceptors a client runs around its local training for
   * the strategy the server named in its Welcome, plus the client-side privacy the server requires
   * ({@code clientDp}: {@code local:CLIP,SIGMA}, {@code dp-sgd:CLIP,Z}, or empty). For DP-SGD the learner
   * applies the noise itself from each task's {@link DpSgdSettings}; the interceptor added here refuses
   * (FAILED_PRECONDITION) a task that does not carry exactly the settings the Welcome announced, so a
   * client never trains with less privacy than it agreed to. Its learner must apply {@link DpSgdSettings}
   * (the built-in {@code SgdLearner} does); a trainer factory that cannot must not accept {@code dp-sgd:}.
   */
  public static List<TrainInterceptor> clientInterceptors(String strategySpec, String clientDp, boolean seededNoise) {
    Strategy s = InvalidRunException.wrap("strategy", () -> Strategies.parse(strategySpec));
    if (clientDp.isEmpty()) {
      return s.clientInterceptors();
    }
    if (clientDp.startsWith(CLIP_PREFIX)) {
      double c;
      try {
        c = Double.parseDouble(clientDp.substring(CLIP_PREFIX.length()).trim());
      } catch (NumberFormatException e) {
        c = Double.NaN;
      }
      if (!(c > 0 && Double.isFinite(c))) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server requires client-side privacy '" + clientDp
            + "', whose clip norm is not a finite number > 0");
      }
      List<TrainInterceptor> chain = new ArrayList<>();
      chain.add(SecureAggregationStrategy.clipInterceptor(c)); // outermost: clips what leaves the client, before masking
      chain.addAll(s.clientInterceptors());
      return List.copyOf(chain);
    }
    RunSpec.Dp asked;
    try {
      asked = clientDp.startsWith(DP_SGD_PREFIX) ? RunSpec.Dp.parseSgd(clientDp.substring(DP_SGD_PREFIX.length()))
          : RunSpec.Dp.parse(clientDp);
    } catch (InvalidRunException e) {
      asked = new RunSpec.Dp.None();
    }
    switch (asked) {
      case RunSpec.Dp.Local ld -> {
        LocalDpConfig cfg = LocalDpConfig.of(ld.clipNorm(), ld.noiseMultiplier())
            .with(RunSpec.Defaults.DELTA, OptionalDouble.empty(), PrivacyAccountant.named(RunSpec.Defaults.ACCOUNTANT),
                seededNoise);
        return new LocalDpStrategy(s, cfg).clientInterceptors();
      }
      case RunSpec.Dp.Sgd sgd -> {
        DpSgdSettings expected = new DpSgdSettings(sgd.clipNorm(), sgd.noiseMultiplier(), seededNoise);
        List<TrainInterceptor> chain = new ArrayList<>();
        chain.add(dpSgdCheck(expected, clientDp));
        chain.addAll(s.clientInterceptors());
        return List.copyOf(chain);
      }
      default -> throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server requires client-side privacy '"
          + clientDp + "'; this client applies local:CLIP,SIGMA, dp-sgd:CLIP,Z and clip:C only");
    }
  }

  /** Refuses a task whose DP-SGD settings are missing or differ from what the Welcome announced. */
  private static TrainInterceptor dpSgdCheck(DpSgdSettings expected, String announced) {
    return (global, config, state, next) -> {
      Optional<DpSgdSettings> got = DpSgdSettings.from(config);
      // the settings travel as float32 values
      if (got.isEmpty() || (float) got.get().clipNorm() != (float) expected.clipNorm()
          || (float) got.get().noiseMultiplier() != (float) expected.noiseMultiplier()
          || got.get().seededNoise() != expected.seededNoise()) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server announced " + announced + " (seeded noise "
            + expected.seededNoise() + ") but this task carries " + got.map(DpSgdSettings::toString)
            .orElse("no DP-SGD settings") + "; refusing to train");
      }
      return next.fit(global, config);
    };
  }

  /** What the asynchronous modes cannot run, refused with the reason and the alternative. */
  private static void refuseAsync(RunSpec spec) {
    String mode = spec.sync().policy().describe();
    if (spec.subModels().isPresent()) {
      throw InvalidRunException.refused("sync", mode + " with --submodel: sub-model updates are averaged position by"
          + " position over one round's clients, which a stream of stale updates does not have; use --sync sync");
    }
    if (spec.privacy().secagg().isPresent()) {
      throw InvalidRunException.refused("sync", mode + " with secagg: the server weighs every update by its own"
          + " staleness, so it would need to see each update, which secure aggregation hides (and FedAsync's one"
          + " update per aggregation is below any secure-aggregation threshold); use --sync sync with --secagg, or"
          + " drop --secagg");
    }
    Strategy base = InvalidRunException.wrap("strategy", () -> Strategies.parse(spec.strategy()));
    if (base.requiredInput() == AggregationInput.PER_CLIENT_DETAILS) {
      throw InvalidRunException.refused("sync", mode + " cannot run " + base.describe() + ": its clients send"
          + " per-client details tied to the model they started from (SCAFFOLD: control variates against the"
          + " round's server control variate; FedNova: step counts normalised within one round), which stale"
          + " updates break. Use fedavg, avg, fedprox, a server optimiser (fedavgm, fedadam, fedyogi, fedadagrad) or"
          + " a robust rule with --sync " + mode + ", or --sync sync");
    }
  }

  /** What decentralised training cannot combine with: everything that needs a server, or is not simulated yet. */
  private static void refuseP2p(RunSpec spec, Target target) {
    RunSpec.P2p p2p = spec.p2p().get();
    String why = null;
    String setting = "p2p";
    RunSpec.Privacy privacy = spec.privacy();
    RunSpec.Compression c = spec.compression();
    boolean choco = p2p.gossip().trim().toLowerCase(Locale.ROOT).startsWith("choco");
    if (target == Target.SERVER) {
      why = "there is no server in decentralised training; run the peers with 'starling simulate --p2p'";
    } else if (!spec.strategy().trim().equalsIgnoreCase(RunSpec.Defaults.STRATEGY)) {
      setting = "strategy";
      why = "with p2p there is no server to run " + spec.strategy() + "; peers combine their neighbours' models as"
          + " --gossip says (" + dev.starling.p2p.GossipMode.FORMS + "), and --robust-gossip clip[:TAU] defends against"
          + " Byzantine neighbours; drop --strategy";
    } else if (privacy.secagg().isPresent()) {
      setting = "secagg";
      why = "secure aggregation hides updates from a server that p2p does not have; each peer sends its model to its"
          + " neighbours (use --dp local:CLIP,SIGMA to protect it)";
    } else if (privacy.dp() instanceof RunSpec.Dp.Central) {
      setting = "dp";
      why = "central DP needs a server that sees the sum; with p2p use --dp local:CLIP,SIGMA (every peer clips and"
          + " noises its own update)";
    } else if (privacy.dp() instanceof RunSpec.Dp.Sgd) {
      setting = "dp-sgd";
      why = "is not accounted for gossip yet; with p2p use --dp local:CLIP,SIGMA";
    } else if (spec.subModels().isPresent()) {
      setting = "submodel";
      why = "sub-models are averaged position by position by a server; p2p peers exchange whole models";
    } else if (!spec.sync().synchronous()) {
      setting = "sync";
      why = "p2p runs synchronous gossip rounds; drop --sync";
    } else if (!Codecs.parse(c.downlink()).isIdentity()) {
      setting = "downlink-codec";
      why = "p2p has no downlink; a peer's messages are compressed by --uplink-codec with --gossip choco[:GAMMA]";
    } else if (!Codecs.parse(c.uplink()).isIdentity() && !choco) {
      setting = "uplink-codec";
      why = "compressed gossip is CHOCO-SGD, whose public copies make up for what the codec drops; add --gossip"
          + " choco[:GAMMA] (plain D-PSGD on lossy models does not converge to consensus)";
    } else if (c.errorFeedback()) {
      setting = "error-feedback";
      why = "CHOCO-SGD's public copies are its error feedback; drop --error-feedback";
    } else if (c.pruneSparsity().isPresent()) {
      setting = "prune";
      why = "pruning post-processes a server's aggregate; p2p has none";
    } else if (spec.population().dropout() > 0 || spec.population().adversity().stragglerFraction() > 0) {
      setting = spec.population().dropout() > 0 ? "dropout" : "stragglers";
      why = "peer churn is not simulated yet; every peer trains and gossips every round";
    } else if (p2p.robust().isPresent() && !p2p.gossip().trim().equalsIgnoreCase("dpsgd")) {
      setting = "robust-gossip";
      why = "self-centred clipping runs with --gossip dpsgd only (push-sum's weights and CHOCO's public copies would need"
          + " their own clipping)";
    }
    if (why != null) {
      throw InvalidRunException.refused(setting, why);
    }
  }

  private static void refuseOnServer(RunSpec spec) {
    RunSpec.Compression c = spec.compression();
    if ((!Codecs.parse(c.uplink()).isIdentity() || !Codecs.parse(c.downlink()).isIdentity())
        && spec.privacy().secagg().isPresent()) {
      throw InvalidRunException.refused("uplink-codec", "cannot be combined with secagg over the network yet: secure"
          + " aggregation sends masked integers, which the codecs do not compress");
    }
  }

  private static void refuseUnlessSum(String setting, Strategy s, String mechanism, String why) {
    AggregationInput in = s.requiredInput();
    if (in == AggregationInput.SUM_ONLY) {
      return;
    }
    String needs = in == AggregationInput.INDIVIDUAL_UPDATES
        ? "needs individual updates (every one, to rank, trim, clip or exclude them)"
        : "needs each client's own details, which a sum loses (FedNova: local step counts; SCAFFOLD: control"
            + " variates; sub-models: trained positions)";
    String instead = setting.equals("secagg") && in == AggregationInput.INDIVIDUAL_UPDATES
        ? " and bound each client's influence on the client instead (--dp local:CLIP,SIGMA clips every update before"
            + " masking), or drop --secagg to keep the robust rule"
        : ", or drop --" + setting;
    throw InvalidRunException.refused(setting, mechanism + " cannot run " + s.describe() + ": " + why + ", but this"
        + " strategy " + needs + ". Use a sum-based strategy (fedavg, avg, fedprox, fedavgm, fedadam, fedyogi,"
        + " fedadagrad) with --" + setting + instead);
  }

  /** Sub-model updates need position-wise averaging: {@code fedavg} becomes it, other strategies are refused. */
  private static Strategy subModelStrategy(String strategySpec) {
    String name = strategySpec.trim().toLowerCase(Locale.ROOT);
    if (name.equals("fedavg") || name.equals("positionwise")) {
      return new PositionwiseFedAvg();
    }
    Strategy s = InvalidRunException.wrap("strategy", () -> Strategies.parse(strategySpec));
    throw InvalidRunException.refused("submodel", "needs position-wise averaging (--strategy fedavg); " + s.describe()
        + " would average the coordinates a client did not train as if it had");
  }

  private static SubModelConfig subModelConfig(RunSpec spec, RunSpec.SubModels s) {
    LearnerFactory model = InvalidRunException.wrap("model", () -> Learners.parse(spec.model()));
    SubModelConfig probe = new SubModelConfig(NeuronPolicy.parse(s.policy()), s.keepMin(), s.keepMax(),
        s.fullModelEvery(), 0, 0, spec.privacy().delta(), spec.seed(), false);
    SubModelCapable.refusal(model, probe).ifPresent(why -> {
      throw InvalidRunException.refused("submodel", why);
    });
    RunSpec.Privacy p = spec.privacy();
    double clip = 0;
    double z = 0;
    if (p.dp() instanceof RunSpec.Dp.Central) {
      throw InvalidRunException.refused("submodel", "works with dp local:CLIP,SIGMA (applied to the coordinates each"
          + " client sends); central DP would clip updates the server only sees in part");
    }
    if (p.dp() instanceof RunSpec.Dp.Local ld) {
      if (p.targetEpsilon().isPresent()) {
        throw InvalidRunException.refused("target-epsilon", "is not enforced for sub-model local DP yet; the run reports"
            + " local_epsilon per round instead");
      }
      clip = ld.clipNorm();
      z = ld.noiseMultiplier();
    }
    if (!Codecs.parse(spec.compression().uplink()).isIdentity()) {
      throw InvalidRunException.refused("uplink-codec", "cannot be combined with --submodel yet: sub-model updates are"
          + " sent as float32 values with their positions");
    }
    SubModelConfig config = new SubModelConfig(NeuronPolicy.parse(s.policy()), s.keepMin(), s.keepMax(),
        s.fullModelEvery(), clip, z, p.delta(), spec.seed(), p.seededNoise());
    SubModelCapable.refusal(model, config).ifPresent(why -> {
      throw InvalidRunException.refused("submodel", why);
    });
    return config;
  }
}
