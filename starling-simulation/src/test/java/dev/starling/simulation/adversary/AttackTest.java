package dev.starling.simulation.adversary;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import org.junit.jupiter.api.Test;

class AttackTest {
  private static final ParameterSet GLOBAL = ParameterSet.of(Tensor.of("w", new float[] {1f, -2f}, 2));
  private static final TrainResult HONEST = new TrainResult(ParameterSet.of(Tensor.of("w", new float[] {1.5f, -1f}, 2)),
      10, 3, Metrics.empty());

  private static float[] sent(Attack a) {
    return a.tamper(GLOBAL, HONEST, RandomSource.seeded(1)).parameters().get("w").data();
  }

  @Test
  void signFlip_reversesUpdate() {
    // d = (0.5, 1): x - d = (0.5, -3); with s = 4: x - 4d = (-1, -6).
    assertThat(sent(Attack.parse("sign-flip"))).containsExactly(0.5f, -3f);
    assertThat(sent(Attack.parse("sign-flip:4"))).containsExactly(-1f, -6f);
  }

  @Test
  void scale_boostsUpdate() {
    assertThat(sent(Attack.parse("scale:10"))).containsExactly(6f, 8f);
  }

  @Test
  void gaussian_ignoresTrainingAndHasSigma() {
    ParameterSet big = ParameterSet.of(Tensor.zeros("w", 100_000));
    TrainResult honest = new TrainResult(big.copy(), 1, 1, Metrics.empty());
    float[] v = Attack.parse("gaussian:3").tamper(big, honest, RandomSource.seeded(2)).parameters().get("w").data();
    double sum = 0;
    double sq = 0;
    for (float x : v) {
      sum += x;
      sq += x * x;
    }
    assertThat(sum / v.length).isCloseTo(0, within(0.05));
    assertThat(Math.sqrt(sq / v.length)).isCloseTo(3, within(0.05));
  }

  @Test
  void labelFlip_mapsYToKMinus1MinusY() {
    Dataset d = Dataset.builder().features(new float[] {0, 0, 0}).labels(new int[] {0, 4, 2}).numFeatures(1)
        .numClasses(5).build();
    Attack a = Attack.parse("label-flip");
    assertThat(a.poisonsData()).isTrue();
    assertThat(a.poison(d).labels()).containsExactly(4, 0, 2);
    assertThat(sent(a)).containsExactly(1.5f, -1f);
  }

  @Test
  void parse_badSpec_listsForms() {
    assertThatThrownBy(() -> Attack.parse("scale:-1")).hasMessageContaining("scale:-1");
    assertThatThrownBy(() -> Attack.parse("backdoor")).hasMessageContaining(Attack.FORMS);
    assertThat(Attack.parse("SCALE:2.5").describe()).isEqualTo("scale:2.5");
  }
}
