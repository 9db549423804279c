package dev.starling.run;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Combines round listeners; every callback, {@code onRoundCommitted} included, reaches every listener in order. */
public final class Listeners {
  private Listeners() {}

  /** The listeners that are not null, called in the order given. */
  public static RoundListener all(RoundListener... listeners) {
    return all(Arrays.stream(listeners).filter(Objects::nonNull).toList());
  }

  /** {@code ls}, called in order. */
  public static RoundListener all(List<? extends RoundListener> ls) {
    List<RoundListener> copy = List.copyOf(ls);
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
