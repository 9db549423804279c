package dev.starling.core.learner;

import dev.starling.core.error.Checks;
import dev.starling.core.message.Attachments;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.Objects;

/**
 * What a client returns after local training.
 *
 * @param parameters the locally trained parameters (not the difference to the global model)
 * @param numExamples examples the client trained on; FedAvg weights by it
 * @param localSteps optimiser steps taken (for normalised averaging such as FedNova)
 * @param metrics training metrics, at least {@link Metrics#LOSS} (mean training loss of the last epoch)
 * @param attachments tensors sent back beside the model (e.g. SCAFFOLD's control-variate delta)
 */
public record TrainResult(ParameterSet parameters, long numExamples, long localSteps, Metrics metrics,
    Attachments attachments) {
  public TrainResult {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(metrics, "metrics");
    Objects.requireNonNull(attachments, "attachments");
    Checks.checkArgument(numExamples >= 0, "numExamples", ">= 0", numExamples);
    Checks.checkArgument(localSteps >= 0, "localSteps", ">= 0", localSteps);
  }

  /** A result without attachments. */
  public TrainResult(ParameterSet parameters, long numExamples, long localSteps, Metrics metrics) {
    this(parameters, numExamples, localSteps, metrics, Attachments.none());
  }

  /** A copy with other parameters (e.g. after an attack or a codec). */
  public TrainResult withParameters(ParameterSet p) {
    return new TrainResult(p, numExamples, localSteps, metrics, attachments);
  }

  /** A copy with other attachments. */
  public TrainResult withAttachments(Attachments a) {
    return new TrainResult(parameters, numExamples, localSteps, metrics, a);
  }
}
