package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.Task;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.data.Standardizer;
import java.io.IOException;
import org.junit.jupiter.api.Test;

/** Learning on real data for the regression and next-token tasks, with fixed seeds and thresholds. */
class TaskLearningTest {
  private static EvalResult train(ModelSpec spec, Dataset train, Dataset test, int epochs, double lr) {
    ParameterSet init = spec.initialize(train.numFeatures(), train.numClasses(), RandomSource.seeded(3));
    SgdLearner learner = new SgdLearner(spec, train, init);
    TrainConfig cfg = TrainConfig.builder().localEpochs(epochs).batchSize(32).learningRate(lr).seed(5).build();
    ParameterSet trained = learner.fit(init, cfg).parameters();
    return Evaluation.evaluate(spec, trained, test);
  }

  @Test
  void linearAndMlpRegression_predictTheCreditAmount() throws IOException {
    LoadedData d = DatasetCatalog.resolve("credit-amount", CatalogOptions.defaults());
    Standardizer s = Standardizer.fit(d.train());
    Dataset train = s.apply(d.train());
    Dataset test = s.apply(d.test());
    EvalResult linear = train(ModelSpec.logreg(), train, test, 10, 0.01);
    EvalResult mlp = train(ModelSpec.mlp(32), train, test, 10, 0.01);
    // measured: linear R^2 0.645, RMSE 268.6; mlp:32 R^2 0.600 (the requested amount follows the price of the good)
    assertThat(linear.metrics().asMap()).containsOnlyKeys(Metrics.LOSS, Metrics.RMSE, Metrics.MAE, Metrics.R2);
    assertThat(linear.metrics().getOrNaN(Metrics.R2)).isGreaterThan(0.6);
    assertThat(linear.metrics().getOrNaN(Metrics.RMSE)).isLessThan(300).isGreaterThan(100); // in the label's units
    assertThat(mlp.metrics().getOrNaN(Metrics.R2)).isGreaterThan(0.55);
  }

  @Test
  void charMlp_predictsTheNextCharacterOfPersuasion() throws IOException {
    LoadedData d = DatasetCatalog.resolve("persuasion", CatalogOptions.defaults());
    EvalResult r = train(ModelSpec.mlp(64), d.train(), d.test(), 3, 0.1);
    // unigram baseline: the perplexity of predicting each test character by its training frequency
    int k = d.train().numClasses();
    int[] counts = d.train().classCounts();
    double crossEntropy = 0;
    for (int y : d.test().labels()) {
      crossEntropy -= Math.log((counts[y] + 1.0) / (d.train().size() + k));
    }
    double unigram = Math.exp(crossEntropy / d.test().size());
    // measured: perplexity 10.9, top-1 accuracy 0.315 after 3 epochs
    assertThat(d.train().task()).isEqualTo(Task.NEXT_TOKEN);
    assertThat(r.metrics().getOrNaN(Metrics.PERPLEXITY)).isLessThan(12).isLessThan(0.7 * unigram);
    assertThat(r.accuracy()).isGreaterThan(0.28);
    assertThat(r.metrics().getOrNaN(Metrics.PERPLEXITY)).isCloseTo(Math.exp(r.loss()), org.assertj.core.data.Offset.offset(1e-9));
  }
}
