package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Central training on the real 8x8 digits: both built-in models must actually learn. */
class DigitsLearningTest {
  @ParameterizedTest
  @ValueSource(strings = {"logreg", "mlp:64"})
  void fit_digitsTrainSplit_heldOutAccuracyAtLeast93Percent(String model) {
    Dataset train = Digits.train();
    Dataset test = Digits.test();
    ModelSpec spec = ModelSpec.parse(model);
    var initial = spec.initialize(Digits.FEATURES, Digits.CLASSES, RandomSource.seeded(1));
    SgdLearner learner = new SgdLearner(spec, train, initial);
    TrainConfig config = TrainConfig.builder()
        .localEpochs(20).batchSize(16).learningRate(0.05).momentum(0.9).seed(7).build();

    TrainResult result = learner.fit(initial, config);
    EvalResult eval = Evaluation.evaluate(spec, result.parameters(), test);

    assertThat(test.size()).isEqualTo(359);
    assertThat(result.numExamples()).isEqualTo(train.size());
    assertThat(result.localSteps()).isEqualTo(20L * ((train.size() + 15) / 16));
    assertThat(eval.accuracy()).isGreaterThanOrEqualTo(0.93);
    assertThat(eval.loss()).isLessThan(0.3);
    assertThat(result.metrics().getOrNaN("loss")).isLessThan(0.2);
  }
}
