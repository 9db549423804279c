package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.EveryUpdate;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.StrategyProvider;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** A custom strategy from outside Starling, found by ServiceLoader and run like a built-in. */
class CustomStrategyTest {
  // --- the whole custom rule: a trimmed midrange per coordinate (12 lines) ---
  /** Per coordinate, the mean of the values at quantiles q and 1 - q of the clients' values. */
  record Midrange(double q) implements Strategy {
    @Override
    public Aggregation beginAggregation(int round, ParameterSet global) {
      return EveryUpdate.coordinatewise(global, v -> {
        Arrays.sort(v);
        int k = (int) Math.floor(q * (v.length - 1));
        return (v[k] + v[v.length - 1 - k]) / 2;
      });
    }
  }
  // --- end of the rule ---

  /** Registered in src/test/resources/META-INF/services: adds {@code --strategy midrange:Q}. */
  public static final class MidrangeProvider implements StrategyProvider {
    @Override
    public Set<String> names() {
      return Set.of("midrange");
    }

    @Override
    public Strategy create(String name, String argument) {
      return new Midrange(argument == null ? 0.25 : Double.parseDouble(argument));
    }
  }

  @Test
  void customRuleFromTheClassPath_runsInSimulationByName_andIsRefusedUnderSecureAggregation() throws Exception {
    LoadedData digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    RunSpec spec = FeatureCompatibilityTest.base().withStrategy("midrange:0.2")
        .withLoop(FeatureCompatibilityTest.base().loop().withRounds(3));
    try (SimulatedRun sim = SimulatedRun.create(spec, digits.train(), digits.test(), 2, false)) {
      assertThat(sim.strategy().describe()).isEqualTo("Midrange");
      List<RoundRecord> rounds = sim.run(RoundListener.NONE).history().rounds();
      assertThat(rounds).hasSize(3).allMatch(r -> r.metric("clients_aggregated") == 6);
      assertThat(rounds.get(2).metric("test_accuracy")).isGreaterThan(0.5);
    }
    // the default requiredInput() is INDIVIDUAL_UPDATES: a sum-only mechanism refuses it instead of lying to it
    RunSpec secure = spec.withPrivacy(spec.privacy().withSecAgg(Optional.of(new RunSpec.SecAgg(0.3, 8))));
    assertThatThrownBy(() -> RunAssembler.assemble(secure, RunAssembler.Target.SIMULATION))
        .isInstanceOf(InvalidRunException.class).hasMessageContaining("Midrange").hasMessageContaining("individual updates");
    assertThat(Starling.simulate(spec.withStrategy("midrange"), digits.train(), digits.test()).history().rounds()).hasSize(3);
    assertThatThrownBy(() -> RunSpec.defaults().withStrategy("nosuchrule")).hasMessageContaining("midrange")
        .hasMessageContaining("fedavg");
  }
}
