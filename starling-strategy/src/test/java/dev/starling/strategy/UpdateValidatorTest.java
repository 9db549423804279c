package dev.starling.strategy;

import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import org.junit.jupiter.api.Test;

class UpdateValidatorTest {
  private static final ParameterSet GLOBAL = ParameterSet.of(Tensor.of("w", new float[3], 3));

  private static TrainResult result(long examples, float... values) {
    return new TrainResult(ParameterSet.of(Tensor.of("w", values, 3)), examples, 1, Metrics.empty());
  }

  @Test
  void validate_examplesAboveCap_refusedNamingClientClaimAndLimit() {
    assertThatThrownBy(() -> UpdateValidator.validate(GLOBAL, ClientId.ofIndex(7), result(Long.MAX_VALUE, 1, 2, 3)))
        .isInstanceOf(FlException.class).hasMessageContaining(ClientId.ofIndex(7).toString())
        .hasMessageContaining("num_examples = " + Long.MAX_VALUE).hasMessageContaining("2147483647");
    assertThatThrownBy(() -> UpdateValidator.validate(GLOBAL, ClientId.ofIndex(7), result(11, 1, 2, 3), 10))
        .hasMessageContaining("num_examples = 11");
    assertThatCode(() -> UpdateValidator.validate(GLOBAL, ClientId.ofIndex(7), result(Integer.MAX_VALUE, 1, 2, 3)))
        .doesNotThrowAnyException();
  }

  @Test
  void validate_hugeButFiniteValues_accepted_infinityRefusedWithIndex() {
    assertThatCode(() -> UpdateValidator.validate(GLOBAL, ClientId.ofIndex(1), result(1, 3e38f, -Float.MAX_VALUE, 0)))
        .doesNotThrowAnyException();
    assertThatThrownBy(() -> UpdateValidator.validate(GLOBAL, ClientId.ofIndex(1), result(1, 3e38f, Float.NaN, 0)))
        .hasMessageContaining("non-finite value NaN at index 1");
  }
}
