package dev.starling.core.error;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ChecksTest {
  @Test
  void checkProbability_outOfRange_messageNamesArgumentAndValue() {
    assertThatThrownBy(() -> Checks.checkProbability(1.5, "dropout"))
        .isInstanceOf(IllegalArgumentException.class).hasMessage("dropout must be in [0, 1]. Provided value: 1.5");
    assertThat(Checks.checkProbability(0.25, "dropout")).isEqualTo(0.25);
  }

  @Test
  void checkPositive_nanOrZero_rejected() {
    assertThatThrownBy(() -> Checks.checkPositive(Double.NaN, "lr")).hasMessage("lr must be > 0 and finite. Provided value: NaN");
    assertThatThrownBy(() -> Checks.checkPositive(0, "clients")).hasMessage("clients must be > 0. Provided value: 0");
  }
}
