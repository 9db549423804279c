package dev.starling.strategy.robust;

import dev.starling.strategy.ClientVerdict;
import java.util.ArrayList;
import java.util.List;

/** The verdicts the robust rules report, in arrival order. Stateless. */
final class Verdicts {
  private Verdicts() {}

  /**
   * Verdicts of the coordinate-wise rules (median, trimmed mean): a client is
   * {@link ClientVerdict.Action#DOWNWEIGHTED} when its values were trimmed (left out of the coordinate's
   * aggregate) in more than half of the coordinates; the weight is the fraction of its coordinates that
   * were kept, {@code kept[i] / coordinates}. Ties between equal values are attributed by client index.
   */
  static List<ClientVerdict> downweighted(RobustAggregation round, int[] kept, long coordinates, String rule) {
    List<ClientVerdict> out = new ArrayList<>();
    for (int i = 0; i < kept.length; i++) {
      long trimmed = coordinates - kept[i];
      if (2 * trimmed > coordinates) {
        out.add(new ClientVerdict(round.client(i), ClientVerdict.Action.DOWNWEIGHTED, (double) kept[i] / coordinates, rule));
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
