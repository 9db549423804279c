package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import org.junit.jupiter.api.Test;

class PredictionTest {
  @Test
  void predict_handComputedLogreg_argmaxPerRow() {
    // Logits (x, -x): positive x predicts class 0, negative x class 1, zero ties to class 0.
    ParameterSet p = EvaluationTest.logreg(new float[] {1f, -1f}, new float[] {0f, 0f});

    int[] predicted = Prediction.predict(ModelSpec.logreg(), p, new float[] {2f, -3f, 0f}, 1, 2);

    assertThat(predicted).containsExactly(0, 1, 0);
  }

  @Test
  void probabilities_anyModel_rowsSumToOne() {
    ModelSpec spec = ModelSpec.mlp(5);
    ParameterSet p = spec.initialize(4, 3, RandomSource.seeded(2));
    float[] x = new float[4 * 300];
    for (int i = 0; i < x.length; i++) {
      x[i] = (i % 7) - 3;
    }

    float[] prob = Prediction.probabilities(spec, p, x, 4, 3);

    assertThat(prob).hasSize(900);
    for (int r = 0; r < 300; r++) {
      assertThat(prob[3 * r] + prob[3 * r + 1] + prob[3 * r + 2]).isCloseTo(1f, within(1e-5f));
    }
  }

  @Test
  void predict_featuresNotMultipleOfWidth_throwsIllegalArgument() {
    ParameterSet p = ModelSpec.logreg().initialize(3, 2, RandomSource.seeded(1));

    assertThatThrownBy(() -> Prediction.predict(ModelSpec.logreg(), p, new float[4], 3, 2))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("numFeatures = 3");
  }
}
