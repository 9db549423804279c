package dev.starling.cli;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Locale;
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
      "rounds", "fraction-fit", "min-fit-clients", "min-available-clients", "min-successful-clients", "round-retries",
      "fraction-evaluate", "round-timeout", "availability-timeout", "local-epochs", "batch-size", "lr", "momentum",
      "weight-decay", "seed", "target-accuracy", "heartbeat", "chunk-values", "max-update-values",
      "max-concurrent-uploads", "upload-wait", "upload-idle-timeout", "hello-timeout", "checkpoint-dir", "run-id", "secagg",
      "secagg-phase-timeout", "dp", "target-epsilon", "delta", "accountant", "dp-noise", "max-examples-per-client",
      "discard-corrupt-checkpoints", "uplink-codec", "downlink-codec", "error-feedback",
      "submodel", "keep", "full-model-every");

  private final Properties p = new Properties();
  private final Path file;

  NetConfig(Path file) throws IOException {
    this.file = file;
    if (file != null) {
      try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
        p.load(r);
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

  private String value(String key) {
    String v = p.getProperty(key);
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
    String s = v.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      }
      if (s.endsWith("s")) {
        return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      }
      if (s.endsWith("m")) {
        return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)) * 60);
      }
      return Duration.parse(v.trim());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(what + " must be a duration like 500ms, 30s, 5m or PT30S. Provided value: " + v);
    }
  }

  private IllegalArgumentException bad(String key, String v, String what) {
    return new IllegalArgumentException((file == null ? "config" : file.toString()) + ": '" + key + "' must be " + what
        + ". Provided value: " + v);
  }
}
