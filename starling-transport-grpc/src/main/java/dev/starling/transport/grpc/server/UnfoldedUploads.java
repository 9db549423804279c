package dev.starling.transport.grpc.server;

import dev.starling.core.message.ClientId;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The upload slots held by updates that have arrived but not been folded yet, one per client: its one job is
 * to hand each slot back to the {@link UploadGate} once the round loop has folded (or discarded) the update.
 * Thread-safe.
 */
final class UnfoldedUploads {
  private final Map<ClientId, UploadGate.Slot> unfolded = new ConcurrentHashMap<>();

  /** {@code client}'s update arrived holding {@code slot}; a slot its previous update still held is released. */
  void awaitingFold(ClientId client, UploadGate.Slot slot) {
    UploadGate.Slot old = unfolded.put(client, slot);
    if (old != null) {
      old.release();
    }
  }

  /** Releases the slot {@code client}'s last update holds, if any. */
  void folded(ClientId client) {
    UploadGate.Slot s = unfolded.remove(client);
    if (s != null) {
      s.release();
    }
  }

  /** Releases every slot still held (updates the loop discarded). */
  void foldedAll() {
    for (ClientId c : List.copyOf(unfolded.keySet())) {
      folded(c);
    }
  }
}
