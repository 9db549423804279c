package dev.starling.core.learner;

import dev.starling.core.message.AttachmentKey;
import dev.starling.core.tensor.ParameterSet;
import java.util.Map;
import java.util.Optional;
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

  /** Bytes held, for memory accounting. */
  public long sizeBytes() {
    return values.values().stream().mapToLong(ParameterSet::sizeBytes).sum();
  }
}
