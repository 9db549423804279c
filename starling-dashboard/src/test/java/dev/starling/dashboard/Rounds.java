package dev.starling.dashboard;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.ClientVerdict;
import java.util.List;

/** Drives a dashboard's listener through rounds the way the round loop does, deterministically. */
final class Rounds {
  private Rounds() {}

  /** Round {@code r}: 3 clients selected, client 2 fails (UNAVAILABLE), client 1 flagged by a robust rule. */
  static RoundRecord record(int r) {
    return new RoundRecord(r, Metrics.builder().put("train_loss", 1.0 / r).put("test_loss", 0.9 / r)
        .put("test_accuracy", 0.5 + 0.1 * r).put("epsilon", 0.5 * r).put("delta", 1e-5).build(), 3, 2,
        List.of(new ClientFailure(ClientId.ofIndex(2), ErrorCode.UNAVAILABLE, "client " + r + " went away <b>")),
        1000L * r, 2000L * r, 0.25, List.of(new ClientVerdict(ClientId.ofIndex(1), ClientVerdict.Action.REJECTED, 0, "krum")));
  }

  static void start(RoundListener l, int r) {
    l.onRoundStart(r, 3);
  }

  static void clients(RoundListener l, int r) {
    l.onClientDone(r, ClientId.ofIndex(0), true);
    l.onClientDone(r, ClientId.ofIndex(1), true);
    l.onClientDone(r, ClientId.ofIndex(2), false);
  }

  static void end(RoundListener l, int r) {
    l.onRoundEnd(record(r));
    l.onRoundCommitted(r, null, null);
  }

  static void full(RoundListener l, int r) {
    start(l, r);
    clients(l, r);
    end(l, r);
  }
}
