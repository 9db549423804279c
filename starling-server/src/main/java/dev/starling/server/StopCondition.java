package dev.starling.server;

import dev.starling.core.error.Checks;
import java.util.List;
import java.util.Optional;

/**
 * Decides after each round whether the run is done, besides the round budget. Implementations are
 * immutable.
 */
@FunctionalInterface
public interface StopCondition {
  /** A reason to stop now, or empty to go on. */
  Optional<String> check(List<RoundRecord> history);

  /** Stops once {@code metric} reaches {@code threshold} ({@code >=} if higher is better, else {@code <=}). */
  static StopCondition target(String metric, double threshold, boolean higherIsBetter) {
    return h -> {
      if (h.isEmpty()) {
        return Optional.empty();
      }
      double v = h.get(h.size() - 1).metric(metric);
      boolean hit = higherIsBetter ? v >= threshold : v <= threshold;
      return hit ? Optional.of(metric + " reached " + threshold + " (" + v + ")") : Optional.empty();
    };
  }

  /**
   * Stops when {@code metric} has not improved by more than {@code minDelta} on its best value for
   * {@code patience} consecutive rounds (a loss plateau when {@code higherIsBetter} is false).
   */
  static StopCondition plateau(String metric, int patience, double minDelta, boolean higherIsBetter) {
    Checks.checkPositive(patience, "patience");
    Checks.checkNonNegative(minDelta, "minDelta");
    return h -> {
      double best = Double.NaN;
      int since = 0;
      for (RoundRecord r : h) {
        double v = r.metric(metric);
        if (Double.isNaN(v)) {
          continue;
        }
        boolean better = Double.isNaN(best) || (higherIsBetter ? v > best + minDelta : v < best - minDelta);
        if (better) {
          best = v;
          since = 0;
        } else {
          since++;
        }
      }
      return since >= patience
          ? Optional.of(metric + " plateaued: no improvement > " + minDelta + " for " + patience + " rounds")
          : Optional.empty();
    };
  }

  /**
   * The {@code --plateau ROUNDS} stop of {@code simulate} and of the server (config {@code plateau}): the
   * clients' mean training loss ({@code train_loss}) has not improved by more than 1e-4 on its best value
   * for {@code rounds} consecutive rounds.
   */
  static StopCondition trainLossPlateau(int rounds) {
    return plateau("train_loss", rounds, 1e-4, false);
  }
}
