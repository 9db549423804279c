package dev.starling.cli;

import dev.starling.compression.CodecChain;
import dev.starling.compression.Codecs;
import dev.starling.run.Durations;
import dev.starling.run.InvalidRunException;
import dev.starling.run.RunSpec;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;

/**
 * The server's run configuration file ({@code starling server --config FILE}): Java properties,
 * {@code key = value}, {@code #} comments (also after a value, following whitespace). Unknown keys are an error naming the key, so a typo never
 * silently falls back to a default. Durations are {@code 500ms}, {@code 30s}, {@code 5m} or ISO-8601.
 */
final class NetConfig {
  static final Set<String> KEYS = Set.of("model", "dataset", "data-dir", "test-fraction", "standardize", "strategy",
      "rounds", "fraction", "min-clients", "min-available-clients", "min-successful-clients", "round-retries",
      "fraction-evaluate", "round-timeout", "availability-timeout", "local-epochs", "batch-size", "lr", "momentum",
      "weight-decay", "seed", "target-accuracy", "target", "plateau", "heartbeat", "chunk-values", "max-update-values",
      "max-concurrent-uploads", "upload-wait", "upload-idle-timeout", "hello-timeout", "lane-port", "checkpoint-dir", "run-id", "secagg",
      "secagg-auth", "secagg-keys", "secagg-phase-timeout", "dp", "dp-sgd", "dp-sgd-dataset-size", "target-epsilon", "delta", "accountant",
      "dp-noise", "max-examples-per-client", "discard-corrupt-checkpoints", "metrics-port", "metrics-host", "sync",
      "concurrency", "staleness-bound",
      "uplink-codec", "downlink-codec", "error-feedback", "submodel", "keep", "full-model-every",
      // deprecated spellings, read as the setting of the same meaning
      "fraction-fit", "min-fit-clients");

  /** Deprecated key -> the setting's one name (the same as the simulate flag). */
  static final Map<String, String> ALIASES = Map.of("fraction-fit", "fraction", "min-fit-clients", "min-clients");

  private final Properties p = new Properties();
  private final Path file;

  NetConfig(Path file) throws IOException {
    this.file = file;
    if (file != null) {
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
      }
      for (Map.Entry<String, String> a : ALIASES.entrySet()) {
        if (p.containsKey(a.getKey()) && p.containsKey(a.getValue())) {
          throw new IllegalArgumentException(file + ": '" + a.getKey() + "' is the old name of '" + a.getValue()
              + "'; give only '" + a.getValue() + "'");
        }
      }
      Set<String> unknown = new TreeSet<>(p.stringPropertyNames());
      unknown.removeAll(KEYS);
      if (!unknown.isEmpty()) {
        throw new IllegalArgumentException(file + ": unknown key(s) " + unknown + "; known keys: " + new TreeSet<>(KEYS));
      }
    }
  }

  /** The value of {@code key} without a trailing {@code  # comment}, or {@code def}. */
  String str(String key, String def) {
    String v = value(key);
    return v == null ? def : v;
  }

  boolean has(String key) {
    return value(key) != null;
  }

  /** {@code secagg-auth = true|false} [false]; only with {@code secagg}. */
  boolean secaggAuth() {
    String v = str("secagg-auth", "false").strip().toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new InvalidRunException("secagg-auth", "must be true or false. Provided value: " + v);
    }
    if (v.equals("true") && !has("secagg")) {
      throw new InvalidRunException("secagg-auth", "needs 'secagg' (it authenticates secure aggregation)");
    }
    return v.equals("true");
  }

  private String value(String key) {
    String v = p.getProperty(key);
    if (v == null) {
      for (Map.Entry<String, String> a : ALIASES.entrySet()) {
        if (a.getValue().equals(key)) {
          v = p.getProperty(a.getKey());
        }
      }
    }
    if (v == null) {
      return null;
    }
    v = v.replaceFirst("\\s+#.*$", "").trim();
    return v.isEmpty() ? null : v;
  }

  int integer(String key, int def) {
    return (int) number(key, def);
  }

  /** An integer in [{@code min}, {@code max}]; out of range is an error naming the key, the range and {@code why}. */
  int integerIn(String key, int def, int min, int max, String why) {
    long v = number(key, def);
    if (v < min || v > max) {
      throw bad(key, str(key, String.valueOf(def)), "an integer in [" + min + ", " + max + "] (" + why + ")");
    }
    return (int) v;
  }

  long number(String key, long def) {
    String v = str(key, null);
    if (v == null) {
      return def;
    }
    try {
      return Long.parseLong(v.replace("_", ""));
    } catch (NumberFormatException e) {
      throw bad(key, v, "an integer");
    }
  }

  double real(String key, double def) {
    String v = str(key, null);
    if (v == null) {
      return def;
    }
    try {
      return Double.parseDouble(v);
    } catch (NumberFormatException e) {
      throw bad(key, v, "a number");
    }
  }

  Duration duration(String key, Duration def) {
    String v = str(key, null);
    return v == null ? def : parseDuration(v, key);
  }

  static Duration parseDuration(String v, String what) {
    try {
      return Durations.parse(v, what);
    } catch (InvalidRunException e) {
      throw new IllegalArgumentException(what + " " + e.problem());
    }
  }

  /**
   * The file as a run specification: each key is the setting of the same name, with the same default as
   * the {@code simulate} flag ({@link RunSpec.Defaults}). A bad value names the file and the key.
   */
  RunSpec runSpec() {
    try {
      RunSpec.Loop d = RunSpec.Loop.defaults();
      RunSpec.Loop loop = new RunSpec.Loop(integer("rounds", RunSpec.Defaults.ROUNDS), real("fraction", RunSpec.Defaults.FRACTION),
          integer("min-clients", RunSpec.Defaults.MIN_CLIENTS),
          has("min-available-clients") ? OptionalInt.of(integer("min-available-clients", 1)) : OptionalInt.empty(),
          integer("min-successful-clients", RunSpec.Defaults.MIN_SUCCESSFUL_CLIENTS),
          integer("round-retries", RunSpec.Defaults.ROUND_RETRIES), real("fraction-evaluate", RunSpec.Defaults.FRACTION_EVALUATE),
          duration("round-timeout", d.roundTimeout()), duration("availability-timeout", d.availabilityTimeout()),
          has("target-accuracy") ? OptionalDouble.of(real("target-accuracy", 1)) : OptionalDouble.empty(),
          has("plateau") ? OptionalInt.of(integer("plateau", 1)) : OptionalInt.empty(),
          has("target") ? java.util.Optional.of(RunSpec.MetricTarget.parse(str("target", ""))) : java.util.Optional.empty());
      RunSpec.Training training = new RunSpec.Training(integer("local-epochs", RunSpec.Defaults.LOCAL_EPOCHS),
          integer("batch-size", RunSpec.Defaults.BATCH_SIZE), real("lr", RunSpec.Defaults.LR),
          real("momentum", RunSpec.Defaults.MOMENTUM), real("weight-decay", RunSpec.Defaults.WEIGHT_DECAY));
      if (has("dp") && has("dp-sgd")) {
        throw new InvalidRunException("dp-sgd", "cannot be combined with 'dp'");
      }
      RunSpec.Dp dp = has("dp") ? RunSpec.Dp.parse(str("dp", "")) : has("dp-sgd") ? RunSpec.Dp.parseSgd(str("dp-sgd", ""))
          : new RunSpec.Dp.None();
      boolean secaggAuth = secaggAuth();
      RunSpec.Privacy privacy = new RunSpec.Privacy(dp,
          has("target-epsilon") ? OptionalDouble.of(real("target-epsilon", 1)) : OptionalDouble.empty(),
          real("delta", RunSpec.Defaults.DELTA), str("accountant", RunSpec.Defaults.ACCOUNTANT).toLowerCase(Locale.ROOT),
          RunSpec.Privacy.parseNoise(str("dp-noise", RunSpec.Defaults.DP_NOISE)),
          has("secagg") ? Optional.of(RunSpec.SecAgg.parse(str("secagg", "")).withAuthentication(secaggAuth))
              : Optional.empty());
      RunSpec.Compression compression = compression(privacy);
      String model = str("model", RunSpec.Defaults.MODEL);
      // flat:N is a bare parameter vector for transport benchmarks; the spec validates a learner model
      return new RunSpec(model.startsWith("flat:") ? "logreg" : model, str("strategy", RunSpec.Defaults.STRATEGY),
          number("seed", RunSpec.Defaults.SEED), training, loop, privacy, compression, subModels(),
          RunSpec.Population.defaults(), RunSpec.SyncMode.parse(str("sync", "sync"))
              .withConcurrency(integer("concurrency", 0))
              .withStalenessBound(has("staleness-bound") ? OptionalInt.of(integer("staleness-bound", 0)) : OptionalInt.empty()));
    } catch (InvalidRunException e) {
      throw new IllegalArgumentException((file == null ? "config" : file.toString()) + ": '" + e.setting() + "' "
          + e.problem(), e);
    }
  }

  /**
   * {@code uplink-codec}, {@code downlink-codec} (specs as {@code simulate --uplink-codec/--downlink-codec}) and
   * {@code error-feedback = true|false}; error feedback needs a lossy uplink, and codecs are refused with
   * {@code secagg} (masked inputs are integers), an uplink codec with {@code submodel}.
   */
  private RunSpec.Compression compression(RunSpec.Privacy privacy) {
    CodecChain up = codec("uplink-codec");
    CodecChain down = codec("downlink-codec");
    boolean ef = flag("error-feedback");
    if (ef && up.lossless()) {
      throw new IllegalArgumentException("config 'error-feedback = true' needs a lossy 'uplink-codec' (e.g. topk:0.01 or"
          + " int8); uplink is " + up.describe());
    }
    if (privacy.secagg().isPresent() && (!up.isIdentity() || !down.isIdentity())) {
      throw new IllegalArgumentException("config 'uplink-codec'/'downlink-codec' cannot be combined with 'secagg' yet:"
          + " secure aggregation sends masked integers, which the codecs do not compress");
    }
    if (has("submodel") && !up.isIdentity()) {
      throw new InvalidRunException("uplink-codec", "cannot be combined with 'submodel' yet: sub-model updates are"
          + " sent as float32 values with their trained positions");
    }
    return new RunSpec.Compression(str("uplink-codec", RunSpec.Defaults.CODEC), ef,
        str("downlink-codec", RunSpec.Defaults.CODEC), OptionalDouble.empty(), 1);
  }

  private CodecChain codec(String key) {
    try {
      return Codecs.parse(str(key, RunSpec.Defaults.CODEC));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("config '" + key + "': " + e.getMessage(), e);
    }
  }

  /** A {@code true|false} key (default false). */
  boolean flag(String key) {
    String v = str(key, "false").strip().toLowerCase(Locale.ROOT);
    if (!v.equals("true") && !v.equals("false")) {
      throw new IllegalArgumentException("config '" + key + "' must be true or false. Provided value: " + v);
    }
    return v.equals("true");
  }

  /** {@code submodel = POLICY} with {@code keep} and {@code full-model-every} (the simulate flags' defaults). */
  private Optional<RunSpec.SubModels> subModels() {
    for (String key : new String[] {"keep", "full-model-every"}) {
      if (has(key) && !has("submodel")) {
        throw new InvalidRunException(key, "is only used with 'submodel = federated-dropout|fisher[:ROWS]'");
      }
    }
    return has("submodel") ? Optional.of(RunSpec.SubModels.of(str("submodel", ""), str("keep", RunSpec.Defaults.KEEP),
        integer("full-model-every", RunSpec.Defaults.FULL_MODEL_EVERY))) : Optional.empty();
  }

  private IllegalArgumentException bad(String key, String v, String what) {
    return new IllegalArgumentException((file == null ? "config" : file.toString()) + ": '" + key + "' must be " + what
        + ". Provided value: " + v);
  }
}
