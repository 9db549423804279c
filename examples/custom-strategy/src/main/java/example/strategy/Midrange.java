package example.strategy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.EveryUpdate;
import dev.starling.strategy.Strategy;
import java.util.Arrays;

/**
 * A robust coordinate-wise rule: per coordinate, the mean of the values at quantiles {@code q} and
 * {@code 1 - q} of the clients' values (a trimmed midrange). Starling knows nothing of it but the
 * {@link Strategy} interface; {@link EveryUpdate} hands it every client's value of each coordinate.
 */
public record Midrange(double q) implements Strategy {
  @Override
  public Aggregation beginAggregation(int round, ParameterSet global) {
    return EveryUpdate.coordinatewise(global, v -> {
      Arrays.sort(v);
      int k = (int) Math.floor(q * (v.length - 1));
      return (v[k] + v[v.length - 1 - k]) / 2;
    });
  }
}
