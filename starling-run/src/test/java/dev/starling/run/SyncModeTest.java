package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.server.sync.SyncPolicy;
import java.util.Optional;
import java.util.OptionalInt;
import org.junit.jupiter.api.Test;

class SyncModeTest {
  private static RunSpec spec(String sync, String strategy) {
    return RunSpec.defaults().withStrategy(strategy).withSync(RunSpec.SyncMode.parse(sync));
  }

  @Test
  void scaffold_withFedAsync_isRefusedWithTheReasonAndTheAlternative() {
    assertThatThrownBy(() -> RunAssembler.assemble(spec("async:0.5", "scaffold"), RunAssembler.Target.SIMULATION))
        .isInstanceOfSatisfying(InvalidRunException.class, e -> assertThat(e.setting()).isEqualTo("sync"))
        .hasMessageContaining("control variates").hasMessageContaining("fedavg");
  }

  @Test
  void secureAggregation_withBuffered_isRefused() {
    RunSpec s = spec("buffered:10", "fedavg")
        .withPrivacy(RunSpec.Privacy.none().withSecAgg(Optional.of(new RunSpec.SecAgg(0.2, 8))));
    assertThatThrownBy(() -> RunAssembler.assemble(s, RunAssembler.Target.SIMULATION))
        .isInstanceOfSatisfying(InvalidRunException.class, e -> assertThat(e.setting()).isEqualTo("sync"))
        .hasMessageContaining("secure aggregation hides");
  }

  @Test
  void everyMode_assemblesForTheNetworkedServer() {
    for (String mode : new String[] {"sync", "async:0.5", "buffered:10", "semi-sync:5", "periodic:2", "event:0.01"}) {
      assertThat(RunAssembler.assemble(spec(mode, "fedavg"), RunAssembler.Target.SERVER).strategy().describe())
          .contains("FedAvg");
    }
  }

  @Test
  void serverOptimiserAndCentralDp_withBuffered_assemble() {
    RunSpec s = spec("buffered:5", "fedadam")
        .withPrivacy(RunSpec.Privacy.none().withDp(new RunSpec.Dp.Central(1.0, 0.5, false)));
    assertThat(RunAssembler.assemble(s, RunAssembler.Target.SIMULATION).strategy().describe()).contains("FedAdam");
  }

  @Test
  void badModeAndMisplacedSettings_nameTheSetting() {
    assertThatThrownBy(() -> RunSpec.SyncMode.parse("buffered:x"))
        .isInstanceOfSatisfying(InvalidRunException.class, e -> assertThat(e.setting()).isEqualTo("sync"));
    assertThatThrownBy(() -> RunSpec.SyncMode.SYNCHRONOUS.withStalenessBound(OptionalInt.of(3)))
        .isInstanceOfSatisfying(InvalidRunException.class, e -> assertThat(e.setting()).isEqualTo("staleness-bound"));
    assertThat(RunSpec.SyncMode.parse("semi-sync:30").policy()).isEqualTo(new SyncPolicy.SemiSync(30));
  }
}
