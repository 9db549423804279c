package dev.starling.server;

import dev.starling.core.learner.TrainResult;
import java.util.Objects;

/**
 * A client's successful training reply plus what it cost on the wire.
 *
 * @param result the client's trained model
 * @param bytesDown bytes sent to the client for this job
 * @param bytesUp bytes received from the client for this job
 * @param seconds the job's duration on a simulated clock, or NaN when there is none (the round loop then
 *     measures the wall clock from the task being handed out to the reply)
 */
public record FitOutcome(TrainResult result, long bytesDown, long bytesUp, double seconds) {
  public FitOutcome {
    Objects.requireNonNull(result, "result");
  }

  /** An outcome without a simulated duration. */
  public FitOutcome(TrainResult result, long bytesDown, long bytesUp) {
    this(result, bytesDown, bytesUp, Double.NaN);
  }

  /** A copy whose job took {@code simulatedSeconds} on a virtual clock. */
  public FitOutcome withSeconds(double simulatedSeconds) {
    return new FitOutcome(result, bytesDown, bytesUp, simulatedSeconds);
  }
}
