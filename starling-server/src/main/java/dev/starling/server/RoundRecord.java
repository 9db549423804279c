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
 */
public record RoundRecord(int round, Metrics metrics, int clientsSelected, int clientsSucceeded,
    List<ClientFailure> failures, long bytesUp, long bytesDown, double seconds, List<ClientVerdict> verdicts) {
  public RoundRecord {
    failures = List.copyOf(failures);
    verdicts = List.copyOf(verdicts);
  }

  /** A record without verdicts. */
  public RoundRecord(int round, Metrics metrics, int clientsSelected, int clientsSucceeded,
      List<ClientFailure> failures, long bytesUp, long bytesDown, double seconds) {
    this(round, metrics, clientsSelected, clientsSucceeded, failures, bytesUp, bytesDown, seconds, List.of());
  }

  /** The value of metric {@code name}, or NaN. */
  public double metric(String name) {
    return metrics.getOrNaN(name);
  }
}
