package dev.starling.core.metrics;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalDouble;

/**
 * An immutable, insertion-ordered set of named scalar metrics (loss, accuracy, auc, ...).
 * Names are snake_case and stable: they appear in the {@code --metrics-out} contract.
 */
public final class Metrics {
  private static final Metrics EMPTY = new Metrics(Map.of());

  /** Standard metric names. */
  public static final String LOSS = "loss";
  public static final String ACCURACY = "accuracy";
  public static final String AUC = "auc";
  /** Regression: root mean squared error, mean absolute error (both in the label's own units), R^2. */
  public static final String RMSE = "rmse";
  public static final String MAE = "mae";
  public static final String R2 = "r2";
  /** Next-token prediction: {@code exp(loss)} with the loss the mean cross-entropy in nats. */
  public static final String PERPLEXITY = "perplexity";
  /**
   * Set by a client-side codec on a training result: the bytes the update took on the wire (uplink),
   * and the bytes the model it trained from took (downlink). Transports count these instead of the raw
   * float32 size when present.
   */
  public static final String WIRE_BYTES_UP = "wire_bytes_up";
  public static final String WIRE_BYTES_DOWN = "wire_bytes_down";

  private final Map<String, Double> values;

  private Metrics(Map<String, Double> values) {
    this.values = values;
  }

  public static Metrics empty() {
    return EMPTY;
  }

  public static Metrics of(String name, double value) {
    return builder().put(name, value).build();
  }

  /**
   * Whether a larger value of metric {@code name} is better, so a stop condition or a "best round" can target
   * any metric: true for accuracy, AUC and R^2, false for losses and errors. A {@code test_}, {@code train_}
   * or {@code eval_} prefix is ignored. Throws {@link IllegalArgumentException} for a name it does not know.
   */
  public static boolean higherIsBetter(String name) {
    String base = name;
    for (String prefix : new String[] {"test_", "train_", "eval_"}) {
      if (base.startsWith(prefix)) {
        base = base.substring(prefix.length());
        break;
      }
    }
    return switch (base) {
      case ACCURACY, AUC, R2 -> true;
      case LOSS, RMSE, MAE, PERPLEXITY -> false;
      default -> throw new IllegalArgumentException("metric must be one of [test_|train_]loss, accuracy, auc, rmse,"
          + " mae, r2, perplexity. Provided value: '" + name + "'");
    };
  }

  public static Builder builder() {
    return new Builder();
  }

  public OptionalDouble get(String name) {
    Double v = values.get(name);
    return v == null ? OptionalDouble.empty() : OptionalDouble.of(v);
  }

  /** The value of {@code name} or NaN. */
  public double getOrNaN(String name) {
    Double v = values.get(name);
    return v == null ? Double.NaN : v;
  }

  public Map<String, Double> asMap() {
    return values;
  }

  public boolean isEmpty() {
    return values.isEmpty();
  }

  /** A copy of these metrics with {@code other}'s entries added (other wins on clashes). */
  public Metrics with(Metrics other) {
    Builder b = builder();
    values.forEach(b::put);
    other.values.forEach(b::put);
    return b.build();
  }

  /** A copy whose names are prefixed, e.g. "test_" + "loss". */
  public Metrics prefixed(String prefix) {
    Builder b = builder();
    values.forEach((k, v) -> b.put(prefix + k, v));
    return b.build();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Metrics m && values.equals(m.values);
  }

  @Override
  public int hashCode() {
    return values.hashCode();
  }

  @Override
  public String toString() {
    return values.toString();
  }

  /** Builds {@link Metrics}; not thread-safe. */
  public static final class Builder {
    private final Map<String, Double> values = new LinkedHashMap<>();

    private Builder() {}

    public Builder put(String name, double value) {
      values.put(name, value);
      return this;
    }

    public Builder putAll(Metrics m) {
      values.putAll(m.values);
      return this;
    }

    public Metrics build() {
      return values.isEmpty() ? EMPTY : new Metrics(Collections.unmodifiableMap(new LinkedHashMap<>(values)));
    }
  }
}
