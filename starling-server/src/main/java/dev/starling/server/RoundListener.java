package dev.starling.server;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;

/**
 * Observes a run (progress bars, metrics files, dashboards). Called from the round loop's thread,
 * except {@link #onClientDone}, which may come from any thread. Default methods do nothing.
 */
public interface RoundListener {
  default void onRoundStart(int round, int clientsSelected) {}

  default void onClientDone(int round, ClientId client, boolean success) {}

  /**
   * Client {@code client}'s update for {@code round} passed validation and is about to be folded into
   * the aggregate of {@code global}; called from the round loop's thread, once per accepted update. A
   * listener may refuse the update by throwing {@link dev.starling.core.error.FlException}: it is then
   * not folded and is recorded as that client's failure (the ledger checks client signatures here).
   */
  default void onUpdateAccepted(int round, ParameterSet global, ClientId client, TrainResult result) {}

  /**
   * Client {@code stats.client()}'s update for {@code round} arrived (accepted or rejected); called from
   * the round loop's thread, once per arrived update, before {@link #onRoundEnd} (per-client metrics).
   */
  default void onClientStats(int round, ClientRoundStats stats) {}

  default void onRoundEnd(RoundRecord record) {}

  /**
   * After {@link #onRoundEnd}: round {@code round} is complete, {@code global} is the model the next
   * round starts from and {@code history} holds every round so far (checkpoints hook in here).
   */
  default void onRoundCommitted(int round, ParameterSet global, History history) {}

  RoundListener NONE = new RoundListener() {};

  /** The listeners that are not null, called in the order given, for every event. */
  static RoundListener all(RoundListener... listeners) {
    return all(java.util.Arrays.stream(listeners).filter(java.util.Objects::nonNull).toList());
  }

  /** {@code ls}, called in order for every event. */
  static RoundListener all(java.util.List<? extends RoundListener> ls) {
    java.util.List<RoundListener> copy = java.util.List.copyOf(ls);
    return new RoundListener() {
      @Override
      public void onRoundStart(int round, int clientsSelected) {
        copy.forEach(l -> l.onRoundStart(round, clientsSelected));
      }

      @Override
      public void onClientDone(int round, ClientId client, boolean success) {
        copy.forEach(l -> l.onClientDone(round, client, success));
      }

      @Override
      public void onUpdateAccepted(int round, ParameterSet global, ClientId client, TrainResult result) {
        copy.forEach(l -> l.onUpdateAccepted(round, global, client, result));
      }

      @Override
      public void onClientStats(int round, ClientRoundStats stats) {
        copy.forEach(l -> l.onClientStats(round, stats));
      }

      @Override
      public void onRoundEnd(RoundRecord record) {
        copy.forEach(l -> l.onRoundEnd(record));
      }

      @Override
      public void onRoundCommitted(int round, ParameterSet global, History history) {
        copy.forEach(l -> l.onRoundCommitted(round, global, history));
      }
    };
  }
}
