package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The client privacy a networked server announces, and the client half that enforces it. */
class ClientPrivacyTest {
  private static final ParameterSet GLOBAL = ParameterSet.of(Tensor.of("w", new float[] {1f, 2f}, 2));

  private static TrainResult fit(List<TrainInterceptor> chain, TrainConfig config, AtomicInteger trained) {
    return TrainInterceptor.run(chain, GLOBAL, config, new ClientState(), (g, c) -> {
      trained.incrementAndGet();
      return new TrainResult(g, 10, 1, Metrics.of(Metrics.LOSS, 0));
    });
  }

  @Test
  void serverAssembly_namesDpSgdForTheWelcome() {
    RunSpec spec = RunSpec.defaults().withPrivacy(RunSpec.defaults().privacy().withDp(new RunSpec.Dp.Sgd(1.5, 0.7)));
    RunAssembler.Assembly a = RunAssembler.assemble(spec, RunAssembler.Target.SERVER);
    assertThat(a.clientPrivacy()).contains("dp-sgd:1.5,0.7");
    assertThat(RunAssembler.assemble(RunSpec.defaults(), RunAssembler.Target.SERVER).clientPrivacy()).isEmpty();
  }

  @Test
  void dpSgdClient_trainsOnlyTasksCarryingTheAnnouncedSettings() {
    List<TrainInterceptor> chain = RunAssembler.clientInterceptors("fedavg", "dp-sgd:1.5,0.7", true);
    AtomicInteger trained = new AtomicInteger();
    TrainConfig plain = TrainConfig.builder().build();

    fit(chain, new DpSgdSettings(1.5, 0.7, true).attachTo(plain), trained);
    assertThat(trained).hasValue(1);

    for (TrainConfig bad : List.of(plain, new DpSgdSettings(1.5, 0.3, true).attachTo(plain),
        new DpSgdSettings(2.0, 0.7, true).attachTo(plain), new DpSgdSettings(1.5, 0.7, false).attachTo(plain))) {
      assertThatThrownBy(() -> fit(chain, bad, trained)).isInstanceOfSatisfying(FlException.class,
          e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
          .hasMessageContaining("announced dp-sgd:1.5,0.7");
    }
    assertThat(trained).as("no task with other settings was trained").hasValue(1);
    assertThat(DpSgdSettings.from(plain)).isEqualTo(Optional.empty());
  }

  @Test
  void unknownClientPrivacy_isRefused() {
    assertThatThrownBy(() -> RunAssembler.clientInterceptors("fedavg", "homomorphic:3", false))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.FAILED_PRECONDITION))
        .hasMessageContaining("'homomorphic:3'");
  }

  @Test
  void dpSgdWithSecAggOnTheServer_isRefusedWithTheReason() {
    RunSpec spec = RunSpec.defaults().withPrivacy(RunSpec.defaults().privacy().withDp(new RunSpec.Dp.Sgd(1, 1))
        .withSecAgg(Optional.of(RunSpec.SecAgg.parse("0.3"))));
    assertThatThrownBy(() -> RunAssembler.assemble(spec, RunAssembler.Target.SERVER))
        .isInstanceOf(InvalidRunException.class).hasMessageContaining("sees only the masked sum");
  }
}
