package dev.starling.core.learner;

import dev.starling.core.error.Checks;
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
 */
public record TrainResult(ParameterSet parameters, long numExamples, long localSteps, Metrics metrics) {
  public TrainResult {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(metrics, "metrics");
    Checks.checkArgument(numExamples >= 0, "numExamples", ">= 0", numExamples);
    Checks.checkArgument(localSteps >= 0, "localSteps", ">= 0", localSteps);
  }
}
