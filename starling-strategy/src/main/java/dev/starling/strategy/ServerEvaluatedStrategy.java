package dev.starling.strategy;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Function;

/**
 * Adds server-side evaluation of the global model on data the server holds (a held-out test set) to
 * any strategy. The evaluator's metrics (e.g. {@code loss}, {@code accuracy}) are reported after every
 * round under the prefix {@code test_}.
 */
public final class ServerEvaluatedStrategy extends ForwardingStrategy {
  private final Function<ParameterSet, Metrics> evaluator;

  public ServerEvaluatedStrategy(Strategy delegate, Function<ParameterSet, Metrics> evaluator) {
    super(delegate);
    this.evaluator = Objects.requireNonNull(evaluator, "evaluator");
  }

  @Override
  public Optional<Metrics> evaluate(int round, ParameterSet global) {
    Metrics own = super.evaluate(round, global).orElse(Metrics.empty());
    return Optional.of(own.with(evaluator.apply(global).prefixed("test_")));
  }

  @Override
  public String describe() {
    return "ServerEvaluated <- " + super.describe();
  }
}
