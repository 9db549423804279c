package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.Dataset;
import org.junit.jupiter.api.Test;

class EvaluationTest {
  @Test
  void auc_tiedPositiveAndNegative_countsHalf() {
    // Pairs (pos, neg): 0.4 > 0.1 (1), 0.4 = 0.4 (1/2), 0.8 > both (2): 3.5 of 4.
    double auc = Evaluation.auc(new float[] {0.1f, 0.4f, 0.4f, 0.8f}, new int[] {0, 0, 1, 1});

    assertThat(auc).isEqualTo(0.875);
  }

  @Test
  void auc_tiesAcrossGroups_matchesPairCount() {
    // Negatives 0.2, 0.5, 0.5, 0.9; positives 0.5, 0.9, 0.3.
    // 0.5: beats 0.2, ties two 0.5s -> 2; 0.9: beats 0.2, 0.5, 0.5, ties 0.9 -> 3.5; 0.3: beats 0.2 -> 1.
    float[] scores = {0.2f, 0.5f, 0.5f, 0.9f, 0.5f, 0.9f, 0.3f};
    int[] labels = {0, 0, 0, 0, 1, 1, 1};

    assertThat(Evaluation.auc(scores, labels)).isCloseTo(6.5 / 12, within(1e-12));
  }

  @Test
  void auc_perfectReversedAndConstantScores_oneZeroAndHalf() {
    int[] labels = {0, 1, 0, 1};

    assertThat(Evaluation.auc(new float[] {1, 2, 1, 3}, labels)).isEqualTo(1.0);
    assertThat(Evaluation.auc(new float[] {5, -2, 4, -3}, labels)).isEqualTo(0.0);
    assertThat(Evaluation.auc(new float[] {7, 7, 7, 7}, labels)).isEqualTo(0.5);
    // -0 and +0 tie: 0.5 + 1 + 2 of 4 pairs.
    assertThat(Evaluation.auc(new float[] {-0f, 0f, -1f, 1f}, labels)).isEqualTo(0.875);
  }

  @Test
  void auc_oneClassOrNaNScore_isNaN() {
    assertThat(Evaluation.auc(new float[] {0.1f, 0.2f}, new int[] {1, 1})).isNaN();
    assertThat(Evaluation.auc(new float[] {Float.NaN, 0.2f}, new int[] {0, 1})).isNaN();
  }

  @Test
  void auc_badLabelsOrLengths_throwIllegalArgument() {
    assertThatThrownBy(() -> Evaluation.auc(new float[] {1, 2}, new int[] {0, 2}))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("labels01[1]");
    assertThatThrownBy(() -> Evaluation.auc(new float[] {1, 2}, new int[] {0}))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void evaluate_handComputedLogreg_lossAccuracyAndAuc() {
    // One feature; logits (x, -x) + bias (0, 0). Rows x = 1 (label 0), x = -2 (label 1), x = 0.5 (label 1).
    ParameterSet p = logreg(new float[] {1f, -1f}, new float[] {0f, 0f});
    Dataset data = dataset(new float[] {1f, -2f, 0.5f}, new int[] {0, 1, 1});

    EvalResult result = Evaluation.evaluate(ModelSpec.logreg(), p, data);

    double expectedLoss = (softplus(-2) + softplus(-4) + softplus(1)) / 3;
    assertThat(result.numExamples()).isEqualTo(3);
    assertThat(result.loss()).isCloseTo(expectedLoss, within(1e-6));
    assertThat(result.accuracy()).isCloseTo(2.0 / 3, within(1e-12));
    // Margins z1 - z0 = -2 (negative), 4 and -1 (positives): both positives outrank the negative.
    assertThat(result.metrics().getOrNaN(Metrics.AUC)).isEqualTo(1.0);
  }

  @Test
  void evaluate_hugeLogits_lossStaysFiniteAndExact() {
    ParameterSet p = logreg(new float[] {1000f, -1000f}, new float[] {0f, 0f});
    Dataset data = dataset(new float[] {1f, 1f}, new int[] {0, 1});

    EvalResult result = Evaluation.evaluate(ModelSpec.logreg(), p, data);

    assertThat(result.loss()).isEqualTo(1000.0);
    assertThat(result.accuracy()).isEqualTo(0.5);
  }

  @Test
  void evaluate_multiclass_hasNoAuc() {
    ModelSpec spec = ModelSpec.mlp(4);
    Dataset data = Dataset.builder().features(new float[] {1, 2, 3, 4, 5, 6}).labels(new int[] {0, 2})
        .numFeatures(3).numClasses(3).build();

    EvalResult result = Evaluation.evaluate(spec, spec.initialize(3, 3, RandomSource.seeded(1)), data);

    assertThat(result.metrics().asMap()).containsOnlyKeys(Metrics.LOSS, Metrics.ACCURACY);
  }

  @Test
  void evaluate_binaryWithOneClassPresent_omitsAuc() {
    Dataset data = dataset(new float[] {1f, 2f}, new int[] {1, 1});

    EvalResult result = Evaluation.evaluate(ModelSpec.logreg(), logreg(new float[] {1f, 0f}, new float[2]), data);

    assertThat(result.metrics().asMap()).containsOnlyKeys(Metrics.LOSS, Metrics.ACCURACY);
  }

  @Test
  void evaluate_manyBlocksOfRows_matchesPerRowPrediction() {
    RandomSource rng = RandomSource.seeded(3);
    int n = 3 * Evaluation.BLOCK_ROWS + 17;
    float[] x = new float[n * 5];
    int[] y = new int[n];
    for (int i = 0; i < x.length; i++) {
      x[i] = (float) rng.nextGaussian();
    }
    for (int i = 0; i < n; i++) {
      y[i] = rng.nextInt(4);
    }
    Dataset data = Dataset.builder().features(x).labels(y).numFeatures(5).numClasses(4).build();
    ModelSpec spec = ModelSpec.mlp(6);
    ParameterSet p = spec.initialize(5, 4, rng);

    EvalResult result = Evaluation.evaluate(spec, p, data);
    float[] prob = Prediction.probabilities(spec, p, x, 5, 4);
    int[] predicted = Prediction.predict(spec, p, x, 5, 4);

    double loss = 0;
    int correct = 0;
    for (int r = 0; r < n; r++) {
      loss -= Math.log(prob[r * 4 + y[r]]);
      correct += predicted[r] == y[r] ? 1 : 0;
    }
    assertThat(result.loss()).isCloseTo(loss / n, within(1e-5));
    assertThat(result.accuracy()).isEqualTo((double) correct / n);
  }

  @Test
  void evaluate_emptyData_nanMetricsAndZeroExamples() {
    Dataset empty = dataset(new float[0], new int[0]);

    EvalResult result = Evaluation.evaluate(ModelSpec.logreg(), logreg(new float[2], new float[2]), empty);

    assertThat(result.numExamples()).isZero();
    assertThat(result.loss()).isNaN();
    assertThat(result.accuracy()).isNaN();
  }

  @Test
  void evaluate_incompatibleParameters_throwsFlException() {
    Dataset data = dataset(new float[] {1f}, new int[] {0});
    ParameterSet wrong = ModelSpec.mlp(3).initialize(1, 2, RandomSource.seeded(1));

    assertThatThrownBy(() -> Evaluation.evaluate(ModelSpec.logreg(), wrong, data))
        .isInstanceOf(FlException.class).hasMessageContaining("layer0.weight");
  }

  static ParameterSet logreg(float[] weights, float[] bias) {
    int in = weights.length / bias.length;
    return ParameterSet.of(Tensor.of("layer0.weight", weights, in, bias.length), Tensor.of("layer0.bias", bias, bias.length));
  }

  /** A one-feature binary dataset. */
  static Dataset dataset(float[] x, int[] y) {
    return Dataset.builder().features(x).labels(y).numFeatures(1).numClasses(2).build();
  }

  private static double softplus(double v) {
    return Math.log1p(Math.exp(v));
  }
}
