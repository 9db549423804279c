package dev.starling.server;

import dev.starling.core.learner.TrainResult;
import java.util.Objects;

/**
 * A client's successful training reply plus what it cost on the wire.
 *
 * @param result the client's trained model
 * @param bytesDown bytes sent to the client for this job
 * @param bytesUp bytes received from the client for this job
 */
public record FitOutcome(TrainResult result, long bytesDown, long bytesUp) {
  public FitOutcome {
    Objects.requireNonNull(result, "result");
  }
}
