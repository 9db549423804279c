package dev.starling.strategy;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.message.ClientReply;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/** Base of strategy decorators: forwards every call; subclasses override only what they change. */
public abstract class ForwardingStrategy implements Strategy {
  private final Strategy delegate;

  protected ForwardingStrategy(Strategy delegate) {
    this.delegate = Objects.requireNonNull(delegate, "delegate");
  }

  /** The decorated strategy. */
  protected Strategy delegate() {
    return delegate;
  }

  @Override
  public void prepare(RoundPlan plan) {
    delegate.prepare(plan);
  }

  @Override
  public List<TrainInterceptor> clientInterceptors() {
    return delegate.clientInterceptors();
  }

  @Override
  public ParameterSet initialize(ParameterSet initial) {
    return delegate.initialize(initial);
  }

  @Override
  public TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
    return delegate.configureTrain(round, client, base);
  }

  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return delegate.beginAggregation(round, global);
  }

  @Override
  public Metrics aggregateEvaluate(int round, List<ClientReply<EvalResult>> replies, List<ClientFailure> failures) {
    return delegate.aggregateEvaluate(round, replies, failures);
  }

  @Override
  public Optional<Metrics> evaluate(int round, ParameterSet global) {
    return delegate.evaluate(round, global);
  }

  @Override
  public ParameterSet saveState() {
    return delegate.saveState();
  }

  @Override
  public void restoreState(ParameterSet state) {
    delegate.restoreState(state);
  }

  @Override
  public AggregationInput requiredInput() {
    return delegate.requiredInput();
  }

  @Override
  public String describe() {
    return delegate.describe();
  }
}
