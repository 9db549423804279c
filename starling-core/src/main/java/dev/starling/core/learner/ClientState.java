package dev.starling.core.learner;

import dev.starling.core.message.AttachmentKey;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;

/**
 * What a client keeps between rounds on its own side (never sent as is): SCAFFOLD's control variate,
 * a compressor's error-feedback residual. Keys are the owners' {@link AttachmentKey} constants.
 * Thread-safe; one instance per client.
 */
public final class ClientState {
  private final Map<AttachmentKey, ParameterSet> values = new ConcurrentHashMap<>();

  public Optional<ParameterSet> get(AttachmentKey key) {
    return Optional.ofNullable(values.get(key));
  }

  public void put(AttachmentKey key, ParameterSet value) {
    values.put(key, value);
  }

  /** Whether nothing is held. */
  public boolean isEmpty() {
    return values.isEmpty();
  }

  /**
   * Everything held, as one parameter set for a checkpoint: tensor {@code T} under key {@code K} is named
   * {@code K/T} (key names cannot contain {@code /}), keys in name order. The data arrays are copied.
   * Call between jobs, when no training job of this client runs.
   */
  public ParameterSet snapshot() {
    List<Tensor> out = new ArrayList<>();
    Map<String, ParameterSet> sorted = new TreeMap<>();
    values.forEach((k, v) -> sorted.put(k.name(), v));
    sorted.forEach((k, v) -> v.forEach(t -> out.add(Tensor.of(k + "/" + t.name(), t.data().clone(), t.shape()))));
    return ParameterSet.of(out);
  }

  /**
   * Replaces everything held with a {@link #snapshot()}. Throws {@link IllegalArgumentException} naming
   * the tensor if a name is not {@code KEY/TENSOR}.
   */
  public void restore(ParameterSet snapshot) {
    Map<AttachmentKey, List<Tensor>> byKey = new LinkedHashMap<>();
    for (Tensor t : snapshot) {
      int slash = t.name().indexOf('/');
      if (slash <= 0 || slash == t.name().length() - 1) {
        throw new IllegalArgumentException("client state tensor '" + t.name() + "' is not named KEY/TENSOR");
      }
      byKey.computeIfAbsent(new AttachmentKey(t.name().substring(0, slash)), k -> new ArrayList<>())
          .add(Tensor.of(t.name().substring(slash + 1), t.data().clone(), t.shape()));
    }
    values.clear();
    byKey.forEach((k, ts) -> values.put(k, ParameterSet.of(ts)));
  }

  /** Bytes held, for memory accounting. */
  public long sizeBytes() {
    return values.values().stream().mapToLong(ParameterSet::sizeBytes).sum();
  }
}
