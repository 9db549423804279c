package dev.starling.server;

import dev.starling.core.message.ClientId;

/**
 * Observes a run (progress bars, metrics files, dashboards). Called from the round loop's thread,
 * except {@link #onClientDone}, which may come from any thread. Default methods do nothing.
 */
public interface RoundListener {
  default void onRoundStart(int round, int clientsSelected) {}

  default void onClientDone(int round, ClientId client, boolean success) {}

  default void onRoundEnd(RoundRecord record) {}

  RoundListener NONE = new RoundListener() {};
}
