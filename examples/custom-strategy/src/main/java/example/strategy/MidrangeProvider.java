package example.strategy;

import dev.starling.strategy.Strategy;
import dev.starling.strategy.StrategyProvider;
import java.util.Set;

/**
 * Registered in {@code META-INF/services/dev.starling.strategy.StrategyProvider}: with this jar on the class
 * path, {@code --strategy midrange[:Q]} (and {@code strategy = midrange:Q} in a server's config) names {@link Midrange}.
 */
public final class MidrangeProvider implements StrategyProvider {
  @Override
  public Set<String> names() {
    return Set.of("midrange");
  }

  @Override
  public Strategy create(String name, String argument) {
    double q = argument == null ? 0.25 : Double.parseDouble(argument);
    if (!(q >= 0 && q < 0.5)) {
      throw new IllegalArgumentException("midrange:Q needs 0 <= Q < 0.5. Provided value: " + argument);
    }
    return new Midrange(q);
  }

  @Override
  public String forms() {
    return "midrange[:Q]";
  }
}
