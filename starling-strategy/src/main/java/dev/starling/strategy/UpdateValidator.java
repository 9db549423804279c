package dev.starling.strategy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;

/**
 * Rejects unusable client updates before they reach a strategy: wrong tensor names or shapes, NaN or
 * infinite values, and more training examples than a client may claim. A rejected update is recorded as
 * a {@code ClientFailure} and never aggregated.
 *
 * <p>The finiteness check computes each tensor's {@link Tensor#maxAbs()} (cached on the tensor), which
 * {@link dev.starling.strategy.aggregate.WeightedSum} then reads for free to keep its float32 sum in
 * range.
 */
public final class UpdateValidator {
  /**
   * The default bound on a client's self-reported {@code num_examples}: {@code 2^31 - 1}. FedAvg weights
   * an update by it, so an unbounded claim lets one client outweigh all others by any factor; a claim
   * above the bound is refused (not clamped), so an honest client with a wrong count is told so.
   */
  public static final long DEFAULT_MAX_EXAMPLES = Integer.MAX_VALUE;

  private UpdateValidator() {}

  /** {@link #validate(ParameterSet, ClientId, TrainResult, long)} with {@link #DEFAULT_MAX_EXAMPLES}. */
  public static void validate(ParameterSet global, ClientId client, TrainResult result) {
    validate(global, client, result, DEFAULT_MAX_EXAMPLES);
  }

  /**
   * Throws {@link FlException} with {@link ErrorCode#INVALID_ARGUMENT} and a message naming the client
   * and the problem: the tensor and index of the first non-finite value, or a {@code num_examples} above
   * {@code maxExamples}.
   */
  public static void validate(ParameterSet global, ClientId client, TrainResult result, long maxExamples) {
    if (result.numExamples() > maxExamples) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "update of client " + client + " claims num_examples = "
          + result.numExamples() + ", above the limit of " + maxExamples + " examples per client (max-examples-per-client)");
    }
    ParameterSet p = result.parameters();
    global.checkSameSpec(p, "update of client " + client);
    for (Tensor t : p) {
      if (t.maxAbs() <= Float.MAX_VALUE) {
        continue;
      }
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
