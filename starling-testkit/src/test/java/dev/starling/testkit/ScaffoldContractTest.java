package dev.starling.testkit;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.Attachments;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.Scaffold;
import dev.starling.strategy.Strategy;

/** The strategy contract for SCAFFOLD; clients reply with a zero control delta. */
class ScaffoldContractTest extends StrategyContractTest {
  @Override
  protected Strategy newStrategy() {
    return new Scaffold();
  }

  @Override
  protected TrainResult clientResult(ParameterSet model, long numExamples) {
    return new TrainResult(model, numExamples, 1, Metrics.of(Metrics.LOSS, 0.5),
        Attachments.none().with(Scaffold.CONTROL_DELTA, model.zerosLike()));
  }
}
