package dev.starling.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.Task;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.metrics.Metrics;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.TextCorpus;
import org.junit.jupiter.api.Test;

class DjlDatasetsTest {
  @Test
  void cnn_readsSquareImages_andTheLearnerTrainsWithoutBeingClosed() throws Exception {
    Dataset digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults()).train();
    DjlModel cnn = DjlModels.parse("djl:cnn:4,8,16");
    assertThat(DjlDatasets.toDjlData(cnn, digits).exampleShape()).containsExactly(1, 8, 8);
    assertThat(DjlDatasets.toDjlData(DjlModels.parse("djl:mlp:8"), digits).exampleShape()).containsExactly(64);
    LocalLearner a = DjlDatasets.learner(cnn, digits.subset(java.util.stream.IntStream.range(0, 200).toArray()), 5, 1);
    LocalLearner b = DjlDatasets.learner(cnn, digits, 5, 1);
    assertThat(a.parameters()).isEqualTo(b.parameters()); // same seed, same initial model on any data
    assertThat(a.task()).isEqualTo(Task.CLASSIFICATION);
    double before = a.evaluate(a.parameters()).accuracy();
    var fit = a.fit(a.parameters(), TrainConfig.builder().localEpochs(3).batchSize(10).learningRate(0.1).seed(1).build());
    assertThat(a.parameters()).isEqualTo(fit.parameters());
    assertThat(a.evaluate(fit.parameters()).accuracy()).isGreaterThan(before + 0.2);
  }

  @Test
  void nextToken_oneHotWindowsBecomeTokenIds() {
    Dataset oneHot = TextCorpus.nextCharacter("abcabd", 2, false, "t"); // vocabulary a b c d
    DjlData d = DjlDatasets.toDjlData(DjlModels.parse("djl:lstm:4,8,1"), oneHot);
    assertThat(d.exampleShape()).containsExactly(2);
    assertThat(d.features()).containsExactly(0, 1, 1, 2, 2, 0, 0, 1);
    assertThat(d.labels()).containsExactly(2, 0, 1, 3);
    assertThat(d.numOutputs()).isEqualTo(4);
  }

  @Test
  void regression_reportsRmseAndMaeInTheLabelsUnits() {
    int n = 64;
    float[] x = new float[n];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[i] = i / (float) n;
      y[i] = 2 * x[i] - 1;
    }
    Dataset unit = Dataset.builder().name("r").features(x).targets(y).numFeatures(1).task(Task.REGRESSION).build();
    Dataset scaled = unit.withTargets(y, 100, 10);
    DjlModel mlp = DjlModels.parse("djl:mlp:4");
    LocalLearner a = DjlDatasets.learner(mlp, unit, 3, 1);
    EvalResult u = a.evaluate(a.parameters());
    EvalResult s = DjlDatasets.learner(mlp, scaled, 3, 1).evaluate(a.parameters());
    assertThat(s.metrics().getOrNaN(Metrics.RMSE)).isCloseTo(10 * u.metrics().getOrNaN(Metrics.RMSE),
        org.assertj.core.data.Offset.offset(1e-9));
    assertThat(s.metrics().getOrNaN(Metrics.MAE)).isCloseTo(10 * u.metrics().getOrNaN(Metrics.MAE),
        org.assertj.core.data.Offset.offset(1e-9));
    assertThat(s.loss()).isEqualTo(u.loss());
    assertThat(s.metrics().getOrNaN(Metrics.R2)).isEqualTo(u.metrics().getOrNaN(Metrics.R2));
  }

  @Test
  void mismatches_areRefusedNamingModelAndData() {
    Dataset text = TextCorpus.nextCharacter("abcabd", 2, false, "t");
    assertThatThrownBy(() -> DjlDatasets.toDjlData(DjlModels.parse("djl:cnn"), text))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("djl:cnn").hasMessageContaining("next-token");
    Dataset wide = Dataset.builder().name("wide").features(new float[10]).labels(new int[] {0, 1}).numFeatures(5)
        .numClasses(2).build();
    assertThatThrownBy(() -> DjlDatasets.toDjlData(DjlModels.parse("djl:cnn"), wide))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("5 features, not a square number");
  }
}
