package dev.starling.server.sync;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

class StalenessTest {
  @Test
  void staleness_functions_matchTheFedAsyncDefinitionsByHand() {
    assertThat(new Staleness.Constant().weight(7)).isEqualTo(1.0);
    // (t - tau + 1)^-a: (3 + 1)^-0.5 = 0.5
    assertThat(new Staleness.Polynomial(0.5).weight(3)).isCloseTo(0.5, within(1e-12));
    assertThat(new Staleness.Polynomial(0.5).weight(0)).isEqualTo(1.0);
    // hinge a=10, b=4: 1 up to 4 versions, then 1 / (10 (t - tau - 4) + 1)
    Staleness.Hinge h = new Staleness.Hinge(10, 4);
    assertThat(h.weight(4)).isEqualTo(1.0);
    assertThat(h.weight(6)).isCloseTo(1.0 / 21, within(1e-12));
    // FedBuff: 1 / sqrt(1 + 3) = 0.5
    assertThat(Staleness.fedBuff(3)).isCloseTo(0.5, within(1e-12));
  }

  @Test
  void parse_readsEveryFormAndNamesTheBadOne() {
    assertThat(Staleness.parse("hinge:10,4")).isEqualTo(new Staleness.Hinge(10, 4));
    assertThat(Staleness.parse("poly:0.5")).isEqualTo(new Staleness.Polynomial(0.5));
    assertThat(SyncPolicy.parse("async:0.4,hinge:10,4")).isEqualTo(new SyncPolicy.FedAsync(0.4, new Staleness.Hinge(10, 4)));
    assertThat(SyncPolicy.parse("buffered:10")).isEqualTo(new SyncPolicy.Buffered(10, 1.0));
    assertThat(SyncPolicy.parse("event:0.05,30")).isEqualTo(new SyncPolicy.Event(0.05, 30));
    assertThatThrownBy(() -> SyncPolicy.parse("buffered:0")).hasMessageContaining("K >= 1");
    assertThatThrownBy(() -> SyncPolicy.parse("async:1.5")).hasMessageContaining("ALPHA in (0, 1]");
    assertThatThrownBy(() -> SyncPolicy.parse("lazy")).hasMessageContaining("sync must be").hasMessageContaining("lazy");
  }

  @Test
  void mix_fedAsync_isOneMinusAlphaXPlusAlphaXNew() {
    ParameterSet x = ParameterSet.of(Tensor.of("w", new float[] {1, 2, 4}, 3));
    ParameterSet xNew = ParameterSet.of(Tensor.of("w", new float[] {3, 2, 0}, 3));
    // a = 0.25: 0.75 x + 0.25 x_new = (1.5, 2, 3)
    ParameterSet mixed = AsyncDriver.mix(x, x, xNew, 0.25);
    assertThat(mixed.get("w").data()).containsExactly(1.5f, 2f, 3f);
  }

  @Test
  void mix_fedBuff_appliesTheWeightedDeltaFromTheStartVersionToTheCurrentModel() {
    ParameterSet current = ParameterSet.of(Tensor.of("w", new float[] {10, 10}, 2));
    ParameterSet start = ParameterSet.of(Tensor.of("w", new float[] {1, 1}, 2));
    ParameterSet trained = ParameterSet.of(Tensor.of("w", new float[] {3, -1}, 2));
    // delta (2, -2), staleness 3 -> weight 0.5: (11, 9)
    ParameterSet mixed = AsyncDriver.mix(current, start, trained, Staleness.fedBuff(3));
    assertThat(mixed.get("w").data()).containsExactly(11f, 9f);
  }
}
