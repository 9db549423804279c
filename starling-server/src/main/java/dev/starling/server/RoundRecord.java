package dev.starling.server;

import dev.starling.core.message.ClientFailure;
import dev.starling.core.metrics.Metrics;
import dev.starling.strategy.ClientVerdict;
import java.util.List;

/**
 * What happened in one round: the row of the metrics history and of {@code --metrics-out}.
 *
 * @param round round number, from 1
 * @param metrics aggregated metrics: {@code train_loss}, {@code test_loss}, {@code test_accuracy}, ...
 * @param clientsSelected clients asked to train
 * @param clientsSucceeded clients whose update was aggregated
 * @param failures the selected clients that failed or were rejected, with reasons
 * @param bytesUp bytes received from clients this round
 * @param bytesDown bytes sent to clients this round
 * @param seconds wall-clock duration of the round
 * @param verdicts clients a robust rule rejected, down-weighted or clipped this round
 * @param failureReason why the round committed no update (too few accepted updates, a non-finite
 *     aggregate), or empty when its aggregate became the global model
 */
public record RoundRecord(int round, Metrics metrics, int clientsSelected, int clientsSucceeded,
    List<ClientFailure> failures, long bytesUp, long bytesDown, double seconds, List<ClientVerdict> verdicts,
    String failureReason) {
  public RoundRecord {
    failures = List.copyOf(failures);
    verdicts = List.copyOf(verdicts);
    failureReason = failureReason == null ? "" : failureReason;
  }

  /** A record of a round whose aggregate was committed. */
  public RoundRecord(int round, Metrics metrics, int clientsSelected, int clientsSucceeded,
      List<ClientFailure> failures, long bytesUp, long bytesDown, double seconds, List<ClientVerdict> verdicts) {
    this(round, metrics, clientsSelected, clientsSucceeded, failures, bytesUp, bytesDown, seconds, verdicts, "");
  }

  /** A record without verdicts. */
  public RoundRecord(int round, Metrics metrics, int clientsSelected, int clientsSucceeded,
      List<ClientFailure> failures, long bytesUp, long bytesDown, double seconds) {
    this(round, metrics, clientsSelected, clientsSucceeded, failures, bytesUp, bytesDown, seconds, List.of());
  }

  /** Whether this round's aggregate became the global model (false: the previous model was kept). */
  public boolean committed() {
    return failureReason.isEmpty() && !(metrics.getOrNaN("round_failed") > 0);
  }

  /** The value of metric {@code name}, or NaN. */
  public double metric(String name) {
    return metrics.getOrNaN(name);
  }
}
