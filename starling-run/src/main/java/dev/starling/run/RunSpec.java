package dev.starling.run;

import dev.starling.compression.Codecs;
import dev.starling.core.learner.TrainConfig;
import dev.starling.learners.Learners;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.p2p.GossipMode;
import dev.starling.p2p.RobustGossip;
import dev.starling.p2p.Topology;
import dev.starling.privacy.secagg.SecAggSpec;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.clock.ClientClock;
import dev.starling.server.sync.SyncPolicy;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.Strategies;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;

/**
 * One typed, validated description of a federated run, shared by {@code simulate}, {@code server},
 * {@code client}, every benchmark and the Java API. Every setting has one name (the CLI flag without
 * {@code --}, also the key of the server's properties file) and one default, in {@link Defaults}; a bad
 * value is an {@link InvalidRunException} naming the setting. {@link RunAssembler} turns a spec into the
 * decorated strategy and the round loop's settings.
 *
 * @param model model spec ({@code model}: {@code logreg | mlp:H1,H2,...}, or {@code NAME[:ARGS]} of a
 *     {@link dev.starling.learners.LearnerProvider} on the class path), resolved by {@link Learners#parse}
 * @param strategy strategy spec ({@code strategy}), parsed by {@link Strategies#parse}
 * @param seed seed of every random choice ({@code seed})
 * @param training local training
 * @param loop the round loop
 * @param privacy differential privacy and secure aggregation
 * @param compression codecs and pruning
 * @param subModels sub-model training, empty for full models
 * @param population the simulated clients (ignored by networked servers)
 * @param sync how clients and server synchronise ({@link SyncMode})
 * @param p2p decentralised training without a server ({@link P2p}), empty for a federated run
 */
public record RunSpec(String model, String strategy, long seed, Training training, Loop loop, Privacy privacy,
    Compression compression, Optional<SubModels> subModels, Population population, SyncMode sync, Optional<P2p> p2p) {

  /** The one place where every setting's default lives; CLI flags and the properties file read these. */
  public static final class Defaults {
    public static final String MODEL = "mlp:64";
    public static final String STRATEGY = "fedavg";
    public static final long SEED = 1;
    public static final int ROUNDS = 20;
    public static final double FRACTION = 0.5;
    public static final int MIN_CLIENTS = 2;
    public static final int MIN_SUCCESSFUL_CLIENTS = 1;
    public static final int ROUND_RETRIES = 0;
    public static final double FRACTION_EVALUATE = 0;
    public static final String ROUND_TIMEOUT = "5m";
    public static final String AVAILABILITY_TIMEOUT = "10m";
    public static final int LOCAL_EPOCHS = 2;
    public static final int BATCH_SIZE = 16;
    public static final double LR = 0.1;
    public static final double MOMENTUM = 0;
    public static final double WEIGHT_DECAY = 0;
    public static final int CLIENTS = 10;
    public static final String PARTITION = "iid";
    public static final double DROPOUT = 0;
    public static final double DELTA = 1e-5;
    public static final String ACCOUNTANT = "rdp";
    public static final String DP_NOISE = "secure";
    public static final double SECAGG_MAX_ABS = 8.0;
    public static final String CODEC = "none";
    public static final String KEEP = "0.5";
    public static final int FULL_MODEL_EVERY = 5;
    public static final String GOSSIP = "dpsgd";

    private Defaults() {}
  }

  public RunSpec {
    require(model, "model");
    require(strategy, "strategy");
    InvalidRunException.wrap("model", () -> Learners.parse(model));
    InvalidRunException.wrap("strategy", () -> Strategies.parse(strategy));
    Objects.requireNonNull(training, "training");
    Objects.requireNonNull(loop, "loop");
    Objects.requireNonNull(privacy, "privacy");
    Objects.requireNonNull(compression, "compression");
    Objects.requireNonNull(subModels, "subModels");
    Objects.requireNonNull(population, "population");
    Objects.requireNonNull(sync, "sync");
    Objects.requireNonNull(p2p, "p2p");
    p2p.ifPresent(p -> p.check(population.clients(), seed, compression.uplink()));
  }

  /** A federated run (no {@code p2p}). */
  public RunSpec(String model, String strategy, long seed, Training training, Loop loop, Privacy privacy,
      Compression compression, Optional<SubModels> subModels, Population population, SyncMode sync) {
    this(model, strategy, seed, training, loop, privacy, compression, subModels, population, sync, Optional.empty());
  }

  public RunSpec withP2p(Optional<P2p> v) {
    return new RunSpec(model, strategy, seed, training, loop, privacy, compression, subModels, population, sync, v);
  }

  /**
   * Decentralised training without a server ({@code p2p}, {@code gossip}, {@code robust-gossip}): the
   * {@code population}'s clients are peers on the {@link Topology} {@code p2p}, combining their neighbours' models by
   * {@code gossip} ({@link GossipMode#FORMS}; CHOCO's codec is {@code uplink-codec}), optionally with self-centred
   * clipping ({@code robust-gossip = clip[:TAU]}).
   */
  public record P2p(String topology, String gossip, Optional<String> robust) {
    public P2p {
      require(topology, "p2p");
      require(gossip, "gossip");
      Objects.requireNonNull(robust, "robust");
      robust.ifPresent(r -> InvalidRunException.wrap("robust-gossip", () -> RobustGossip.parse(r)));
    }

    /** Plain D-PSGD on {@code topology}. */
    public static P2p of(String topology) {
      return new P2p(topology, Defaults.GOSSIP, Optional.empty());
    }

    /** Checks the topology for this many peers and the gossip mode with this codec. */
    void check(int peers, long seed, String codec) {
      InvalidRunException.wrap("p2p", () -> Topology.parse(topology, peers, seed));
      InvalidRunException.wrap("gossip", () -> GossipMode.parse(gossip, codec));
    }

    public Topology topology(int peers, long seed) {
      return InvalidRunException.wrap("p2p", () -> Topology.parse(topology, peers, seed));
    }

    public GossipMode mode(String codec) {
      return InvalidRunException.wrap("gossip", () -> GossipMode.parse(gossip, codec));
    }

    public Optional<RobustGossip> robustGossip() {
      return robust.map(RobustGossip::parse);
    }

    public String describe() {
      return topology + ", gossip " + gossip + robust.map(r -> ", robust-gossip " + r).orElse("");
    }
  }

  /** A spec with every default: 10 IID clients, {@code mlp:64}, FedAvg, 20 rounds. */
  public static RunSpec defaults() {
    return new RunSpec(Defaults.MODEL, Defaults.STRATEGY, Defaults.SEED, Training.defaults(), Loop.defaults(),
        Privacy.none(), Compression.none(), Optional.empty(), Population.defaults(), SyncMode.SYNCHRONOUS);
  }

  public RunSpec withModel(String v) {
    return new RunSpec(v, strategy, seed, training, loop, privacy, compression, subModels, population, sync, p2p);
  }

  public RunSpec withStrategy(String v) {
    return new RunSpec(model, v, seed, training, loop, privacy, compression, subModels, population, sync, p2p);
  }

  public RunSpec withSeed(long v) {
    return new RunSpec(model, strategy, v, training, loop, privacy, compression, subModels, population, sync, p2p);
  }

  public RunSpec withTraining(Training v) {
    return new RunSpec(model, strategy, seed, v, loop, privacy, compression, subModels, population, sync, p2p);
  }

  public RunSpec withLoop(Loop v) {
    return new RunSpec(model, strategy, seed, training, v, privacy, compression, subModels, population, sync, p2p);
  }

  public RunSpec withPrivacy(Privacy v) {
    return new RunSpec(model, strategy, seed, training, loop, v, compression, subModels, population, sync, p2p);
  }

  public RunSpec withCompression(Compression v) {
    return new RunSpec(model, strategy, seed, training, loop, privacy, v, subModels, population, sync, p2p);
  }

  public RunSpec withSubModels(Optional<SubModels> v) {
    return new RunSpec(model, strategy, seed, training, loop, privacy, compression, v, population, sync, p2p);
  }

  public RunSpec withPopulation(Population v) {
    return new RunSpec(model, strategy, seed, training, loop, privacy, compression, subModels, v, sync, p2p);
  }

  /**
   * How clients and server synchronise ({@code sync}, {@code concurrency}, {@code staleness-bound}): the
   * {@link SyncPolicy} ({@code sync | async[:ALPHA[,STALENESS]] | buffered:K[,ETA] | semi-sync:DEADLINE |
   * periodic:T | event:THRESHOLD[,MAXINTERVAL]}), the clients training at once in the continuous modes (0: the
   * clients per round) and the staleness bound (empty: none).
   */
  public record SyncMode(SyncPolicy policy, int concurrency, OptionalInt stalenessBound) {
    /** Every round waits for its selected clients (or the deadline): the classic FedAvg loop. */
    public static final SyncMode SYNCHRONOUS = new SyncMode(new SyncPolicy.Sync(), 0, OptionalInt.empty());

    public SyncMode {
      Objects.requireNonNull(policy, "policy");
      check(concurrency >= 0, "concurrency", ">= 0", concurrency);
      Objects.requireNonNull(stalenessBound, "stalenessBound");
      stalenessBound.ifPresent(b -> check(b >= 0, "staleness-bound", ">= 0", b));
      if (policy.synchronous() && (concurrency > 0 || stalenessBound.isPresent())) {
        throw new InvalidRunException(concurrency > 0 ? "concurrency" : "staleness-bound", "applies to the"
            + " asynchronous modes only (sync = " + SyncPolicy.FORMS + "); synchronous rounds have no stale updates");
      }
    }

    /** Parses the {@code sync} setting, with no concurrency limit beyond the clients per round and no bound. */
    public static SyncMode parse(String spec) {
      return new SyncMode(InvalidRunException.wrap("sync", () -> SyncPolicy.parse(spec)), 0, OptionalInt.empty());
    }

    public SyncMode withConcurrency(int v) {
      return new SyncMode(policy, v, stalenessBound);
    }

    public SyncMode withStalenessBound(OptionalInt v) {
      return new SyncMode(policy, concurrency, v);
    }

    public boolean synchronous() {
      return policy.synchronous();
    }

    public String describe() {
      return policy.describe() + (concurrency > 0 ? ", concurrency " + concurrency : "")
          + stalenessBound.stream().mapToObj(b -> ", staleness bound " + b).findFirst().orElse("");
    }
  }

  public RunSpec withSync(SyncMode v) {
    return new RunSpec(model, strategy, seed, training, loop, privacy, compression, subModels, population, v, p2p);
  }

  /**
   * Local training ({@code local-epochs}, {@code batch-size}, {@code lr}, {@code momentum},
   * {@code weight-decay}).
   */
  public record Training(int localEpochs, int batchSize, double lr, double momentum, double weightDecay) {
    public Training {
      positive(localEpochs, "local-epochs");
      positive(batchSize, "batch-size");
      check(lr > 0 && Double.isFinite(lr), "lr", "> 0", lr);
      check(momentum >= 0 && momentum < 1, "momentum", "in [0, 1)", momentum);
      check(weightDecay >= 0 && Double.isFinite(weightDecay), "weight-decay", ">= 0", weightDecay);
    }

    public static Training defaults() {
      return new Training(Defaults.LOCAL_EPOCHS, Defaults.BATCH_SIZE, Defaults.LR, Defaults.MOMENTUM, Defaults.WEIGHT_DECAY);
    }

    /** The clients' training defaults. */
    public TrainConfig trainConfig() {
      return TrainConfig.builder().localEpochs(localEpochs).batchSize(batchSize).learningRate(lr).momentum(momentum)
          .weightDecay(weightDecay).build();
    }
  }

  /**
   * The round loop ({@code rounds}, {@code fraction}, {@code min-clients}, {@code min-available-clients},
   * {@code min-successful-clients}, {@code round-retries}, {@code fraction-evaluate}, {@code round-timeout},
   * {@code availability-timeout}, {@code target-accuracy}, {@code plateau}).
   *
   * @param minAvailableClients empty: the same as {@code minClients}
   */
  public record Loop(int rounds, double fraction, int minClients, OptionalInt minAvailableClients,
      int minSuccessfulClients, int roundRetries, double fractionEvaluate, Duration roundTimeout,
      Duration availabilityTimeout, OptionalDouble targetAccuracy, OptionalInt plateau, Optional<MetricTarget> target) {
    /** A loop with no {@code target} metric. */
    public Loop(int rounds, double fraction, int minClients, OptionalInt minAvailableClients, int minSuccessfulClients,
        int roundRetries, double fractionEvaluate, Duration roundTimeout, Duration availabilityTimeout,
        OptionalDouble targetAccuracy, OptionalInt plateau) {
      this(rounds, fraction, minClients, minAvailableClients, minSuccessfulClients, roundRetries, fractionEvaluate,
          roundTimeout, availabilityTimeout, targetAccuracy, plateau, Optional.empty());
    }

    public Loop {
      check(target != null, "target", "present or empty", target);
      positive(rounds, "rounds");
      check(fraction > 0 && fraction <= 1, "fraction", "in (0, 1]", fraction);
      positive(minClients, "min-clients");
      minAvailableClients.ifPresent(v -> positive(v, "min-available-clients"));
      positive(minSuccessfulClients, "min-successful-clients");
      check(roundRetries >= 0, "round-retries", ">= 0", roundRetries);
      check(fractionEvaluate >= 0 && fractionEvaluate <= 1, "fraction-evaluate", "in [0, 1]", fractionEvaluate);
      check(roundTimeout != null && roundTimeout.isPositive(), "round-timeout", "> 0", roundTimeout);
      check(availabilityTimeout != null && availabilityTimeout.isPositive(), "availability-timeout", "> 0",
          availabilityTimeout);
      targetAccuracy.ifPresent(a -> check(a > 0 && a <= 1, "target-accuracy", "in (0, 1]", a));
      plateau.ifPresent(p -> positive(p, "plateau"));
    }

    public static Loop defaults() {
      return new Loop(Defaults.ROUNDS, Defaults.FRACTION, Defaults.MIN_CLIENTS, OptionalInt.empty(),
          Defaults.MIN_SUCCESSFUL_CLIENTS, Defaults.ROUND_RETRIES, Defaults.FRACTION_EVALUATE,
          Durations.parse(Defaults.ROUND_TIMEOUT, "round-timeout"),
          Durations.parse(Defaults.AVAILABILITY_TIMEOUT, "availability-timeout"), OptionalDouble.empty(), OptionalInt.empty());
    }

    public Loop withRounds(int v) {
      return new Loop(v, fraction, minClients, minAvailableClients, minSuccessfulClients, roundRetries, fractionEvaluate,
          roundTimeout, availabilityTimeout, targetAccuracy, plateau, target);
    }

    public Loop withFraction(double v) {
      return new Loop(rounds, v, minClients, minAvailableClients, minSuccessfulClients, roundRetries, fractionEvaluate,
          roundTimeout, availabilityTimeout, targetAccuracy, plateau, target);
    }

    public Loop withMinClients(int v) {
      return new Loop(rounds, fraction, v, minAvailableClients, minSuccessfulClients, roundRetries, fractionEvaluate,
          roundTimeout, availabilityTimeout, targetAccuracy, plateau, target);
    }

    public Loop withTarget(Optional<MetricTarget> v) {
      return new Loop(rounds, fraction, minClients, minAvailableClients, minSuccessfulClients, roundRetries, fractionEvaluate,
          roundTimeout, availabilityTimeout, targetAccuracy, plateau, v);
    }

    public Loop withTargetAccuracy(OptionalDouble v) {
      return new Loop(rounds, fraction, minClients, minAvailableClients, minSuccessfulClients, roundRetries, fractionEvaluate,
          roundTimeout, availabilityTimeout, v, plateau, target);
    }
  }

  /**
   * {@code target = METRIC=VALUE}: stop once a round metric reaches a value, in the direction
   * {@link dev.starling.core.metrics.Metrics#higherIsBetter} gives the metric (so {@code test_rmse=500} stops at or
   * below 500).
   */
  public record MetricTarget(String metric, double value) {
    public MetricTarget {
      check(metric != null && !metric.isBlank(), "target", "METRIC=VALUE", metric);
      check(Double.isFinite(value), "target", "a finite VALUE", value);
      try {
        dev.starling.core.metrics.Metrics.higherIsBetter(metric);
      } catch (IllegalArgumentException e) {
        throw new InvalidRunException("target", e.getMessage());
      }
    }

    /** Parses {@code METRIC=VALUE}. */
    public static MetricTarget parse(String spec) {
      int eq = spec.indexOf('=');
      if (eq <= 0) {
        throw new InvalidRunException("target", "must be METRIC=VALUE, e.g. test_r2=0.6. Provided value: '" + spec + "'");
      }
      double v;
      try {
        v = Double.parseDouble(spec.substring(eq + 1).strip());
      } catch (NumberFormatException e) {
        throw new InvalidRunException("target", "value must be a number. Provided value: '" + spec + "'");
      }
      return new MetricTarget(spec.substring(0, eq).strip(), v);
    }

    /** The stop condition this target stands for. */
    public dev.starling.server.StopCondition stopCondition() {
      return dev.starling.server.StopCondition.target(metric, value,
          dev.starling.core.metrics.Metrics.higherIsBetter(metric));
    }
  }

  /**
   * Secure aggregation ({@code secagg = DROPOUT[,MAXABS[,NEIGHBOURS]]}); {@code authenticated}
   * ({@code secagg-auth}): the actively secure variant, signed keys and the consistency check.
   */
  public record SecAgg(double dropoutTolerance, double maxAbs, int neighbours, boolean authenticated) {
    /** SecAgg's complete graph (every client is every client's neighbour). */
    public SecAgg(double dropoutTolerance, double maxAbs) {
      this(dropoutTolerance, maxAbs, 0);
    }

    /** Without authentication (semi-honest server). */
    public SecAgg(double dropoutTolerance, double maxAbs, int neighbours) {
      this(dropoutTolerance, maxAbs, neighbours, false);
    }

    /** The same with {@code secagg-auth} on or off. */
    public SecAgg withAuthentication(boolean on) {
      return new SecAgg(dropoutTolerance, maxAbs, neighbours, on);
    }

    public SecAgg {
      check(dropoutTolerance >= 0 && dropoutTolerance < 0.5, "secagg", SecAggSpec.FORM + " with the dropout tolerance"
          + " DROPOUT in [0, 0.5)", dropoutTolerance);
      check(maxAbs > 0 && Double.isFinite(maxAbs), "secagg", "MAXABS > 0", maxAbs);
      check(neighbours >= 0 && neighbours % 2 == 0, "secagg", "NEIGHBOURS even and >= 0 (0: the complete graph)",
          neighbours);
    }

    /** Parses {@code DROPOUT[,MAXABS[,NEIGHBOURS]]} (NEIGHBOURS > 0: SecAgg+'s sparse graph). */
    public static SecAgg parse(String v) {
      SecAggSpec sa;
      try {
        sa = SecAggSpec.parse(v, "secagg");
      } catch (IllegalArgumentException e) {
        throw new InvalidRunException("secagg", "must be " + SecAggSpec.FORM + ", e.g. 0.3, 0.3,4 or 0.3,8,16 ("
            + e.getMessage() + ")");
      }
      return new SecAgg(sa.dropout(), sa.maxAbs(), sa.neighbours());
    }
  }


  /** Which differential privacy ({@code dp}, {@code dp-sgd}). */
  public sealed interface Dp {
    /** No differential privacy. */
    record None() implements Dp {}

    /** {@code central:CLIP,Z} or {@code central-adaptive:QUANTILE,Z}: the server clips and noises the sum. */
    record Central(double clipOrQuantile, double noiseMultiplier, boolean adaptive) implements Dp {}

    /** {@code local:CLIP,SIGMA}: every client clips and noises its own update. */
    record Local(double clipNorm, double noiseMultiplier) implements Dp {}

    /** {@code dp-sgd CLIP,Z}: example-level DP-SGD inside every client's local training. */
    record Sgd(double clipNorm, double noiseMultiplier) implements Dp {}

    String FORMS = "central:CLIP,Z | central-adaptive:QUANTILE,Z | local:CLIP,SIGMA";

    /** Parses the {@code dp} setting. */
    static Dp parse(String spec) {
      String s = spec.trim().toLowerCase(Locale.ROOT);
      int colon = s.indexOf(':');
      String kind = colon < 0 ? s : s.substring(0, colon);
      String[] a = colon < 0 ? new String[0] : s.substring(colon + 1).split(",");
      if (a.length != 2 || !(kind.equals("central") || kind.equals("central-adaptive") || kind.equals("local"))) {
        throw new InvalidRunException("dp", "must be " + FORMS + " (example-level DP-SGD is the setting dp-sgd CLIP,Z)."
            + " Provided value: " + spec);
      }
      double x = number(a[0], "dp", FORMS, spec);
      double y = number(a[1], "dp", FORMS, spec);
      check(x > 0, "dp", "a positive clip norm or quantile", spec);
      check(y >= 0, "dp", "a non-negative noise multiplier", spec);
      return kind.equals("local") ? new Local(x, y) : new Central(x, y, kind.equals("central-adaptive"));
    }

    /** Parses the {@code dp-sgd} setting {@code CLIP,Z}. */
    static Dp parseSgd(String spec) {
      String[] a = spec.split(",");
      if (a.length != 2) {
        throw new InvalidRunException("dp-sgd", "must be CLIP,Z. Provided value: " + spec);
      }
      double c = number(a[0], "dp-sgd", "CLIP,Z", spec);
      double z = number(a[1], "dp-sgd", "CLIP,Z", spec);
      check(c > 0 && z > 0, "dp-sgd", "CLIP,Z with both > 0", spec);
      return new Sgd(c, z);
    }
  }

  /**
   * Privacy ({@code dp} or {@code dp-sgd}, {@code target-epsilon}, {@code delta}, {@code accountant},
   * {@code dp-noise}, {@code secagg}).
   */
  public record Privacy(Dp dp, OptionalDouble targetEpsilon, double delta, String accountant, boolean seededNoise,
      Optional<SecAgg> secagg) {
    public Privacy {
      Objects.requireNonNull(dp, "dp");
      check(delta > 0 && delta < 1, "delta", "in (0, 1)", delta);
      targetEpsilon.ifPresent(e -> check(e > 0, "target-epsilon", "> 0", e));
      check(accountant.equals("rdp") || accountant.equals("prv"), "accountant", "rdp or prv", accountant);
      if (targetEpsilon.isPresent() && dp instanceof Dp.None) {
        throw new InvalidRunException("target-epsilon", "needs dp (" + Dp.FORMS + ") or dp-sgd CLIP,Z");
      }
      Objects.requireNonNull(secagg, "secagg");
    }

    public static Privacy none() {
      return new Privacy(new Dp.None(), OptionalDouble.empty(), Defaults.DELTA, Defaults.ACCOUNTANT, false, Optional.empty());
    }

    public Privacy withDp(Dp v) {
      return new Privacy(v, targetEpsilon, delta, accountant, seededNoise, secagg);
    }

    public Privacy withSecAgg(Optional<SecAgg> v) {
      return new Privacy(dp, targetEpsilon, delta, accountant, seededNoise, v);
    }

    public Privacy withSeededNoise(boolean v) {
      return new Privacy(dp, targetEpsilon, delta, accountant, v, secagg);
    }

    /** Parses {@code dp-noise}: {@code secure} or {@code seeded}; true for seeded. */
    public static boolean parseNoise(String v) {
      return switch (v.trim().toLowerCase(Locale.ROOT)) {
        case "secure" -> false;
        case "seeded" -> true;
        default -> throw new InvalidRunException("dp-noise", "must be secure or seeded. Provided value: " + v);
      };
    }
  }

  /**
   * Compression ({@code uplink-codec}, {@code error-feedback}, {@code downlink-codec}, {@code prune}).
   *
   * @param pruneSparsity empty: no pruning
   */
  public record Compression(String uplink, boolean errorFeedback, String downlink, OptionalDouble pruneSparsity,
      int pruneRamp) {
    public Compression {
      InvalidRunException.wrap("uplink-codec", () -> Codecs.parse(uplink));
      InvalidRunException.wrap("downlink-codec", () -> Codecs.parse(downlink));
      pruneSparsity.ifPresent(s -> check(s >= 0 && s < 1, "prune", "a sparsity in [0, 1)", s));
      positive(pruneRamp, "prune");
    }

    public static Compression none() {
      return new Compression(Defaults.CODEC, false, Defaults.CODEC, OptionalDouble.empty(), 1);
    }

    public static Compression of(String uplink, String downlink) {
      return new Compression(uplink, false, downlink, OptionalDouble.empty(), 1);
    }

    /** Parses {@code prune = S[,RAMP]} into a copy. */
    public Compression withPrune(String v) {
      String[] p = v.split(",");
      double s = number(p[0], "prune", "S or S,RAMP (sparsity in [0, 1), ramp rounds)", v);
      int ramp = p.length > 1 ? (int) number(p[1], "prune", "S or S,RAMP (sparsity in [0, 1), ramp rounds)", v) : 1;
      return new Compression(uplink, errorFeedback, downlink, OptionalDouble.of(s), ramp);
    }
  }

  /** Sub-models ({@code submodel}, {@code keep = F|MIN-MAX}, {@code full-model-every}). */
  public record SubModels(String policy, double keepMin, double keepMax, int fullModelEvery) {
    public SubModels {
      InvalidRunException.wrap("submodel", () -> NeuronPolicy.parse(policy));
      check(keepMin > 0 && keepMin <= keepMax && keepMax <= 1, "keep", "F or MIN-MAX with 0 < MIN <= MAX <= 1",
          keepMin + "-" + keepMax);
      positive(fullModelEvery, "full-model-every");
    }

    /** {@code policy} with {@code keep = F|MIN-MAX}. */
    public static SubModels of(String policy, String keep, int fullModelEvery) {
      String k = keep.trim();
      int dash = k.indexOf('-');
      String what = "a fraction F or a range MIN-MAX in (0, 1]";
      double lo = number(dash < 0 ? k : k.substring(0, dash), "keep", what, keep);
      double hi = dash < 0 ? lo : number(k.substring(dash + 1), "keep", what, keep);
      return new SubModels(policy, lo, hi, fullModelEvery);
    }
  }

  /**
   * The simulated population ({@code clients}, {@code partition}, {@code dropout}, the adversity settings
   * {@code attack}, {@code malicious}, {@code stragglers}, {@code drop-stragglers}) and its hardware on the virtual
   * clock ({@code client-speed}, {@code client-link}, {@code slow-fraction}, {@code slow-factor}).
   */
  public record Population(int clients, String partition, double dropout, Adversity adversity, ClientClock clock) {
    public Population {
      positive(clients, "clients");
      InvalidRunException.wrap("partition", () -> Partitioners.parse(partition));
      check(dropout >= 0 && dropout < 1, "dropout", "in [0, 1)", dropout);
      Objects.requireNonNull(adversity, "adversity");
      Objects.requireNonNull(clock, "clock");
    }

    /** A population on the default virtual clock ({@link ClientClock#defaults()}). */
    public Population(int clients, String partition, double dropout, Adversity adversity) {
      this(clients, partition, dropout, adversity, ClientClock.defaults());
    }

    /** This population with clients drawn from {@code v} ({@code client-speed}, {@code client-link}, ...). */
    public Population withClock(ClientClock v) {
      return new Population(clients, partition, dropout, adversity, v);
    }

    /**
     * Parses the clock settings {@code client-speed}, {@code client-link}, {@code slow-fraction} and
     * {@code slow-factor}.
     */
    public static ClientClock clock(String speed, String link, double slowFraction, double slowFactor) {
      try {
        return ClientClock.parse(speed, link, slowFraction, slowFactor);
      } catch (IllegalArgumentException e) {
        String m = String.valueOf(e.getMessage());
        int sp = m.indexOf(' ');
        throw new InvalidRunException(sp > 0 ? m.substring(0, sp) : "client-speed", sp > 0 ? m.substring(sp + 1) : m);
      }
    }

    public static Population defaults() {
      return new Population(Defaults.CLIENTS, Defaults.PARTITION, Defaults.DROPOUT, Adversity.none());
    }

    public static Population of(int clients, String partition) {
      return new Population(clients, partition, Defaults.DROPOUT, Adversity.none());
    }
  }

  private static void require(String v, String setting) {
    if (v == null || v.isBlank()) {
      throw new InvalidRunException(setting, "must not be empty");
    }
  }

  static void positive(int v, String setting) {
    check(v > 0, setting, "> 0", v);
  }

  static void check(boolean ok, String setting, String requirement, Object value) {
    if (!ok) {
      throw new InvalidRunException(setting, "must be " + requirement + ". Provided value: " + value);
    }
  }

  static double number(String s, String setting, String forms, Object whole) {
    try {
      return Double.parseDouble(s.trim());
    } catch (NumberFormatException e) {
      throw new InvalidRunException(setting, "must be " + forms + ". Provided value: " + whole);
    }
  }
}
