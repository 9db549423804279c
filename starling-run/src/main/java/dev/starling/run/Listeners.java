package dev.starling.run;

import dev.starling.server.RoundListener;
import java.util.List;

/** Combines round listeners; every callback, {@code onRoundCommitted} included, reaches every listener in order. */
public final class Listeners {
  private Listeners() {}

  /** The listeners that are not null, called in the order given ({@link RoundListener#all}). */
  public static RoundListener all(RoundListener... listeners) {
    return RoundListener.all(listeners);
  }

  /** {@code ls}, called in order ({@link RoundListener#all}). */
  public static RoundListener all(List<? extends RoundListener> ls) {
    return RoundListener.all(ls);
  }
}
