package dev.starling.data;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.learner.Task;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;

class TaskDataTest {
  private static Dataset load(CsvLoader loader, String csv) throws IOException {
    return loader.load(new ByteArrayInputStream(csv.getBytes(StandardCharsets.UTF_8)), "data.csv");
  }

  private static String continuousCsv() {
    StringBuilder csv = new StringBuilder("x,color,price\n");
    for (int i = 0; i < 80; i++) {
      csv.append(i).append(',').append(i % 3 == 0 ? "red" : "blue").append(',').append(10 + 2.5 * i).append('\n');
    }
    return csv.toString();
  }

  @Test
  void continuousLabel_withoutTask_isRefusedNamingColumnAndTask() {
    assertThatThrownBy(() -> load(CsvLoader.builder().labelColumn("price").build(), continuousCsv()))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("column 'price'")
        .hasMessageContaining("80 distinct values, all numbers").hasMessageContaining("--task regression");
  }

  @Test
  void continuousLabel_explicitClassification_isAccepted() throws IOException {
    Dataset d = load(CsvLoader.builder().labelColumn("price").task(Task.CLASSIFICATION).build(), continuousCsv());
    assertThat(d.numClasses()).isEqualTo(80);
  }

  @Test
  void fewIntegerClasses_stayClassification() throws IOException {
    Dataset d = load(CsvLoader.builder().build(), "a,label\n1,3\n2,5\n3,3\n");
    assertThat(d.task()).isEqualTo(Task.CLASSIFICATION);
    assertThat(d.classNames()).containsExactly("3", "5");
  }

  @Test
  void regression_readsTargets_andSchemaDescribesColumns() throws IOException {
    Dataset d = load(CsvLoader.builder().labelColumn("price").task(Task.REGRESSION).build(), continuousCsv());
    assertThat(d.task()).isEqualTo(Task.REGRESSION);
    assertThat(d.numClasses()).isEqualTo(1);
    assertThat(d.targets()[3]).isEqualTo(17.5f);
    FeatureSchema s = d.schema().orElseThrow();
    assertThat(s.featureNames()).containsExactly("x", "color=blue", "color=red");
    assertThat(FeatureSchema.parse(s.toText())).isEqualTo(s);
  }

  @Test
  void regression_nonNumericLabel_namesLineAndColumn() {
    assertThatThrownBy(() -> load(CsvLoader.builder().labelColumn("y").task(Task.REGRESSION).build(), "a,y\n1,2\n2,oops\n"))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("data.csv line 3, column 'y'")
        .hasMessageContaining("'oops' is not a finite number");
  }

  @Test
  void schema_encodesNewRowsLikeTraining_unseenCategoryIsZeros_missingLabelAllowedForPrediction() throws IOException {
    Dataset train = load(CsvLoader.builder().build(), "n,c,label\n1,b,no\n2,a,yes\n3,b,no\n");
    FeatureSchema s = train.schema().orElseThrow();
    // columns in another order, one row, an unseen category, no label column
    Dataset one = load(CsvLoader.builder().schema(s).labelOptional(true).build(), "c,n\nz,7\n");
    assertThat(one.size()).isEqualTo(1);
    assertThat(one.features()).containsExactly(7f, 0f, 0f);
    Dataset two = load(CsvLoader.builder().schema(s).build(), "n,c,label\n5,a,yes\n");
    assertThat(two.features()).containsExactly(5f, 1f, 0f);
    assertThat(two.labels()).containsExactly(1);
    assertThatThrownBy(() -> load(CsvLoader.builder().schema(s).build(), "n,c\n5,a\n"))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("label column 'label' not found");
    assertThatThrownBy(() -> load(CsvLoader.builder().schema(s).build(), "n,c,label\n5,a,maybe\n"))
        .isInstanceOf(DataFormatException.class).hasMessageContaining("label 'maybe' is not one of the model's classes");
  }

  @Test
  void summedStatistics_equalStatisticsOfTheUnion() throws IOException {
    Dataset d = load(CsvLoader.builder().labelColumn("price").task(Task.REGRESSION).build(), continuousCsv());
    Dataset a = d.subset(java.util.stream.IntStream.range(0, 30).toArray());
    Dataset b = d.subset(java.util.stream.IntStream.range(30, 80).toArray());
    Standardizer agreed = Standardizer.Statistics.of(a).plus(Standardizer.Statistics.of(b)).standardizer();
    Standardizer whole = Standardizer.fit(d);
    for (int j = 0; j < d.numFeatures(); j++) {
      assertThat(agreed.mean()[j]).isCloseTo(whole.mean()[j], within(1e-4f));
      assertThat(agreed.std()[j]).isCloseTo(whole.std()[j], within(1e-4f));
    }
    assertThat(agreed.targetMean()).isCloseTo(10 + 2.5 * 39.5, within(1e-9));
    Dataset z = agreed.apply(d);
    assertThat(z.targetOffset()).isEqualTo(agreed.targetMean());
    assertThat(z.targets()[0] * z.targetScale() + z.targetOffset()).isCloseTo(10.0, within(1e-4));
  }

  @Test
  void textCorpus_windowsPredictTheNextCharacter() {
    Dataset d = TextCorpus.nextCharacter("abcab", 2, true, "t");
    assertThat(d.task()).isEqualTo(Task.NEXT_TOKEN);
    assertThat(d.numClasses()).isEqualTo(3);
    assertThat(d.size()).isEqualTo(3);
    assertThat(d.labels()).containsExactly(2, 0, 1); // c, a, b
    // row 0: "ab" -> a one-hot at position 0, b one-hot at position 1
    assertThat(d.features()).startsWith(1f, 0f, 0f, 0f, 1f, 0f);
  }

  @Test
  void bundledRegressionAndText_load() throws IOException {
    LoadedData credit = DatasetCatalog.resolve("credit-amount", CatalogOptions.defaults());
    assertThat(credit.train().task()).isEqualTo(Task.REGRESSION);
    assertThat(credit.train().size() + credit.test().size()).isEqualTo(4039);
    LoadedData text = DatasetCatalog.resolve("persuasion", CatalogOptions.defaults());
    assertThat(text.train().task()).isEqualTo(Task.NEXT_TOKEN);
    assertThat(text.train().numFeatures()).isEqualTo(DatasetCatalog.TEXT_CONTEXT * text.train().numClasses());
  }

  @Test
  void csvFileWithContinuousLabel_isRefusedThroughTheCatalogUnlessTaskGiven() throws IOException {
    java.nio.file.Path f = java.nio.file.Files.createTempFile("cont", ".csv");
    try {
      java.nio.file.Files.writeString(f, continuousCsv());
      CatalogOptions o = CatalogOptions.defaults();
      assertThatThrownBy(() -> DatasetCatalog.resolve(f.toString(), o)).hasMessageContaining("--task regression");
      assertThat(DatasetCatalog.resolve(f.toString(), o.withTask(Task.REGRESSION)).train().task())
          .isEqualTo(Task.REGRESSION);
    } finally {
      java.nio.file.Files.delete(f);
    }
  }
}
