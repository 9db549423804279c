package dev.starling.server;

import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;

/**
 * Observes a run (progress bars, metrics files, dashboards). Called from the round loop's thread,
 * except {@link #onClientDone}, which may come from any thread. Default methods do nothing.
 */
public interface RoundListener {
  default void onRoundStart(int round, int clientsSelected) {}

  default void onClientDone(int round, ClientId client, boolean success) {}

  default void onRoundEnd(RoundRecord record) {}

  /**
   * After {@link #onRoundEnd}: round {@code round} is complete, {@code global} is the model the next
   * round starts from and {@code history} holds every round so far (checkpoints hook in here).
   */
  default void onRoundCommitted(int round, ParameterSet global, History history) {}

  RoundListener NONE = new RoundListener() {};
}
