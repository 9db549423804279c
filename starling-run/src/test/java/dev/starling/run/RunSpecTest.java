package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.FoldOrder;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoopConfig;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class RunSpecTest {
  @Test
  void badValues_nameTheSettingNotAnInternalField() {
    assertThatThrownBy(() -> new RunSpec.Training(0, 16, 0.1, 0, 0)).isInstanceOf(InvalidRunException.class)
        .hasMessageStartingWith("local-epochs must be > 0").extracting(e -> ((InvalidRunException) e).setting())
        .isEqualTo("local-epochs");
    assertThatThrownBy(() -> RunSpec.Population.of(0, "iid")).hasMessageStartingWith("clients must be > 0")
        .hasMessageNotContaining("numClients");
    assertThatThrownBy(() -> RunSpec.defaults().withStrategy("fedsgd")).isInstanceOf(InvalidRunException.class)
        .hasMessageStartingWith("strategy must be one of").hasMessageContaining("fedsgd");
    assertThatThrownBy(() -> RunSpec.SecAgg.parse("0.7")).hasMessageContaining("dropout tolerance");
    assertThatThrownBy(() -> RunSpec.Dp.parse("local:1")).hasMessageStartingWith("dp must be");
    assertThatThrownBy(() -> new RunSpec.Privacy(new RunSpec.Dp.None(), OptionalDouble.of(1), 1e-5, "rdp", false,
        Optional.empty())).hasMessageStartingWith("target-epsilon needs dp");
  }

  @Test
  void loopConfig_carriesEverySettingIncludingRetries_andCapsMinimumAtThePopulation() {
    RunSpec.Loop l = new RunSpec.Loop(7, 0.3, 4, OptionalInt.empty(), 2, 3, 0.1, RunSpec.Loop.defaults().roundTimeout(),
        RunSpec.Loop.defaults().availabilityTimeout(), OptionalDouble.of(0.9), OptionalInt.empty());
    RunSpec spec = RunSpec.defaults().withLoop(l);
    RoundLoopConfig c = RunAssembler.loopConfig(spec, List.of(), FoldOrder.ARRIVAL, 3);
    assertThat(c.rounds()).isEqualTo(7);
    assertThat(c.fractionFit()).isEqualTo(0.3);
    assertThat(c.minFitClients()).isEqualTo(3);
    assertThat(c.minAvailableClients()).isEqualTo(3);
    assertThat(c.roundRetries()).isEqualTo(3);
    assertThat(c.fractionEvaluate()).isEqualTo(0.1);
    assertThat(c.trainDefaults().localEpochs()).isEqualTo(RunSpec.Defaults.LOCAL_EPOCHS);
    assertThat(c.foldOrder()).isEqualTo(FoldOrder.ARRIVAL);
    assertThat(RunAssembler.loopConfig(spec, List.of(), FoldOrder.ARRIVAL, 0).minFitClients()).isEqualTo(4);
  }

  @Test
  void assembly_stopConditionsFollowTheSpec_andOneBudgetPerPrivacyMechanism() {
    RunSpec spec = RunSpec.defaults().withLoop(RunSpec.Loop.defaults().withTargetAccuracy(OptionalDouble.of(0.9)))
        .withPrivacy(RunSpec.Privacy.none().withDp(new RunSpec.Dp.Central(1, 1, false)).withSeededNoise(true));
    RunAssembler.Assembly a = RunAssembler.assemble(spec, RunAssembler.Target.SIMULATION);
    assertThat(a.budgets()).hasSize(1);
    assertThat(a.stopConditions(spec.loop())).hasSize(2);
    assertThat(a.strategy().describe()).startsWith("CentralDp");
    // central DP under secure aggregation: applied by secure aggregation, one budget, outermost decorator
    RunSpec both = spec.withPrivacy(spec.privacy().withSecAgg(Optional.of(new RunSpec.SecAgg(0.2, 8))));
    RunAssembler.Assembly b = RunAssembler.assemble(both, RunAssembler.Target.SIMULATION);
    assertThat(b.budgets()).hasSize(1);
    assertThat(b.strategy().describe()).startsWith("SecureAggregation(").contains("central DP");
    // on a server the same decorator runs over the networked secure sum; clients clip, told clip:C in the Welcome
    RunAssembler.Assembly c = RunAssembler.assemble(both, RunAssembler.Target.SERVER);
    assertThat(c.budgets()).hasSize(1);
    assertThat(c.strategy().describe()).startsWith("SecureAggregation(over gRPC").contains("central DP");
    assertThat(c.clientPrivacy()).contains("clip:1.0");
    // adaptive clipping under secure aggregation is still refused, on either target
    RunSpec adaptive = both.withPrivacy(both.privacy().withDp(new RunSpec.Dp.Central(0.5, 1, true)));
    assertThatThrownBy(() -> RunAssembler.assemble(adaptive, RunAssembler.Target.SERVER))
        .isInstanceOf(InvalidRunException.class).hasMessageContaining("central-adaptive with secagg");
  }

  @Test
  void listeners_forwardEveryCallbackIncludingCommits() {
    List<String> calls = new ArrayList<>();
    RoundListener a = new RoundListener() {
      @Override
      public void onRoundCommitted(int round, ParameterSet global, History history) {
        calls.add("a" + round);
      }
    };
    RoundListener b = new RoundListener() {
      @Override
      public void onRoundCommitted(int round, ParameterSet global, History history) {
        calls.add("b" + round);
      }
    };
    Listeners.all(a, null, b).onRoundCommitted(3, ParameterSet.of(), null);
    assertThat(calls).containsExactly("a3", "b3");
  }
}
