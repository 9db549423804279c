package dev.starling.core.message;

import dev.starling.core.tensor.ParameterSet;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * Immutable, ordered tensor payloads keyed by {@link AttachmentKey} that travel beside the model: from
 * the server in a {@link dev.starling.core.learner.TrainConfig} (e.g. the server control variate) and
 * back in a {@link dev.starling.core.learner.TrainResult} (e.g. the client's control-variate delta).
 */
public final class Attachments {
  private static final Attachments NONE = new Attachments(Map.of());

  private final Map<AttachmentKey, ParameterSet> items;

  private Attachments(Map<AttachmentKey, ParameterSet> items) {
    this.items = items;
  }

  public static Attachments none() {
    return NONE;
  }

  /** A copy with {@code value} under {@code key} (replacing any previous value). */
  public Attachments with(AttachmentKey key, ParameterSet value) {
    Map<AttachmentKey, ParameterSet> m = new LinkedHashMap<>(items);
    m.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
    return new Attachments(Collections.unmodifiableMap(m));
  }

  public Optional<ParameterSet> get(AttachmentKey key) {
    return Optional.ofNullable(items.get(key));
  }

  public Map<AttachmentKey, ParameterSet> asMap() {
    return items;
  }

  public boolean isEmpty() {
    return items.isEmpty();
  }

  /** Total bytes of the float32 payloads. */
  public long sizeBytes() {
    long n = 0;
    for (ParameterSet p : items.values()) {
      n += p.sizeBytes();
    }
    return n;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Attachments a && items.equals(a.items);
  }

  @Override
  public int hashCode() {
    return items.hashCode();
  }

  @Override
  public String toString() {
    return "Attachments" + items.keySet();
  }
}
