package dev.starling.server;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.Strategy;

/**
 * The check before an aggregate is committed, shared by the synchronous round loop and the asynchronous
 * drivers: a model or strategy state with a NaN or an infinity is never committed (nor checkpointed).
 */
public final class CommitGuard {
  private CommitGuard() {}

  /**
   * Null if the aggregate {@code next} and {@code strategy}'s new state are finite; else rolls the strategy
   * back to {@code stateBefore} and returns why the {@code unit} (a round, an aggregation) is rejected.
   */
  public static String rejectNonFinite(Strategy strategy, ParameterSet next, ParameterSet stateBefore, String unit) {
    String what = describeNonFinite(next, "the aggregated global model");
    if (what == null) {
      what = describeNonFinite(strategy.saveState(), "the strategy state");
    }
    if (what == null) {
      return null;
    }
    strategy.restoreState(stateBefore);
    return what + "; the " + unit + " is rejected, the previous global model and strategy state are kept";
  }

  private static String describeNonFinite(ParameterSet p, String what) {
    for (Tensor t : p) {
      float m = t.maxAbs();
      if (!(m <= Float.MAX_VALUE)) {
        return what + " is not finite (tensor " + t.name() + " has " + (Float.isNaN(m) ? "NaN" : "an infinite value") + ")";
      }
    }
    return null;
  }
}
