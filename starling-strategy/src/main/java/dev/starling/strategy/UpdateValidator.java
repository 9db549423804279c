package dev.starling.strategy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;

/**
 * Rejects unusable client updates before they reach a strategy: wrong tensor names or shapes, NaN or
 * infinite values. A rejected update is recorded as a {@code ClientFailure} and never aggregated.
 */
public final class UpdateValidator {
  private UpdateValidator() {}

  /**
   * Throws {@link FlException} with {@link ErrorCode#INVALID_ARGUMENT} and a message naming the client,
   * the tensor and the index of the first problem.
   */
  public static void validate(ParameterSet global, ClientId client, TrainResult result) {
    ParameterSet p = result.parameters();
    global.checkSameSpec(p, "update of client " + client);
    for (Tensor t : p) {
      float[] d = t.data();
      for (int i = 0; i < d.length; i++) {
        if (!Float.isFinite(d[i])) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT,
              "update of client " + client + ": tensor " + t.name() + " has non-finite value " + d[i] + " at index " + i);
        }
      }
    }
  }
}
