package example.strategy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.run.RunAssembler;
import dev.starling.run.RunSpec;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class MidrangeTest {
  @Test
  void foundByName_survivesSignFlippingAttackersThatBreakFedAvg() throws Exception {
    double midrange = Main.accuracy("midrange:0.3", 10, 1);
    double fedavg = Main.accuracy("fedavg", 10, 1);
    // two of ten clients send -4x their update: FedAvg is dragged far off, the trimmed midrange is not
    assertThat(midrange).isGreaterThan(0.85);
    assertThat(fedavg).isLessThan(midrange - 0.2);
  }

  @Test
  void needsEveryUpdate_soSecureAggregationRefusesItBeforeRoundOne() {
    RunSpec s = Main.spec("midrange:0.3", 1, 1);
    RunSpec secure = s.withPrivacy(s.privacy().withSecAgg(Optional.of(new RunSpec.SecAgg(0.3, 8))));
    assertThatThrownBy(() -> RunAssembler.assemble(secure, RunAssembler.Target.SIMULATION))
        .hasMessageContaining("Midrange").hasMessageContaining("individual updates");
  }

  @Test
  void aBadArgumentNamesTheValidForm() {
    assertThatThrownBy(() -> RunSpec.defaults().withStrategy("midrange:0.7")).hasMessageContaining("0 <= Q < 0.5");
  }
}
