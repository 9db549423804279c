package dev.starling.strategy.robust;

import dev.starling.strategy.ClientVerdict;
import java.util.ArrayList;
import java.util.List;

/** The verdicts the robust rules report, in arrival order. Stateless. */
final class Verdicts {
  private Verdicts() {}

  /**
   * Verdicts of the coordinate-wise rules (median, trimmed mean). Such a rule keeps only some values of
   * every coordinate (the middle one or two for the median, {@code n - 2k} for the trimmed mean), so even
   * an honest client is left out of most coordinates of a median; what marks an outlier is being kept
   * far less often than the others. A client is {@link ClientVerdict.Action#DOWNWEIGHTED} when its keep
   * rate {@code kept[i] / coordinates} is below half the mean keep rate of all clients; the verdict's
   * weight is its keep rate relative to that mean. Ties between equal values are attributed by client
   * index.
   */
  static List<ClientVerdict> downweighted(RobustAggregation round, int[] kept, long coordinates, String rule) {
    List<ClientVerdict> out = new ArrayList<>();
    long total = 0;
    for (int k : kept) {
      total += k;
    }
    if (total == 0) {
      return out;
    }
    double meanRate = (double) total / ((double) kept.length * coordinates);
    for (int i = 0; i < kept.length; i++) {
      double rate = (double) kept[i] / coordinates;
      if (rate < meanRate / 2) {
        out.add(new ClientVerdict(round.client(i), ClientVerdict.Action.DOWNWEIGHTED, rate / meanRate, rule));
      }
    }
    return out;
  }

  /** Verdicts of the selecting rules (Krum family): {@link ClientVerdict.Action#REJECTED}, weight 0, for every unselected client. */
  static List<ClientVerdict> rejected(RobustAggregation round, boolean[] selected, String rule) {
    List<ClientVerdict> out = new ArrayList<>();
    for (int i = 0; i < selected.length; i++) {
      if (!selected[i]) {
        out.add(new ClientVerdict(round.client(i), ClientVerdict.Action.REJECTED, 0, rule));
      }
    }
    return out;
  }
}
