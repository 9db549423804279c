package dev.starling.djl;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class DjlLearnerTest {
  private static final DjlModel TINY_CNN = DjlModels.parse("djl:cnn:8,16,32");

  @Test
  void fedAvg_tinyCnnOnBundledDigits_reaches90PercentInFiveRounds() throws Exception {
    LoadedData digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    Dataset train = digits.train();
    int clients = 3;
    List<DjlLearner> learners = new ArrayList<>();
    try (DjlLearner test = DjlLearner.create(TINY_CNN, DjlData.of(digits.test(), 1, 8, 8), 7)) {
      for (int c = 0; c < clients; c++) {
        int client = c;
        int[] rows = java.util.stream.IntStream.range(0, train.size()).filter(i -> i % clients == client).toArray();
        learners.add(DjlLearner.create(TINY_CNN, DjlData.of(train.subset(rows), 1, 8, 8), 7));
      }
      ParameterSet global = learners.get(0).parameters();
      double before = test.evaluate(global).accuracy();
      for (int round = 1; round <= 5; round++) {
        List<TrainResult> results = new ArrayList<>();
        for (int c = 0; c < clients; c++) {
          TrainConfig config = TrainConfig.builder().round(round).localEpochs(1).batchSize(10).learningRate(0.05)
              .momentum(0.9).seed(1000L * round + c).build();
          results.add(learners.get(c).fit(global, config));
        }
        global = fedAvg(results);
      }
      EvalResult after = test.evaluate(global);
      assertThat(before).isLessThan(0.3);
      assertThat(after.accuracy()).isGreaterThan(0.9);
      assertThat(after.numExamples()).isEqualTo(digits.test().size());
    } finally {
      learners.forEach(DjlLearner::close);
    }
  }

  @Test
  void lstm_shortText_overfitsBelowLoss0point1() {
    DjlData text = chars("the quick brown fox jumps over the lazy dog. ", 12);
    try (DjlLearner lstm = DjlLearner.create(DjlModels.parse("djl:lstm:8,64,1"), text, 3)) {
      ParameterSet p = lstm.parameters();
      double first = Double.NaN;
      for (int epoch = 0; epoch < 60; epoch++) {
        p = lstm.fit(p, TrainConfig.builder().batchSize(8).learningRate(0.5).momentum(0.9).seed(epoch).build())
            .parameters();
        if (epoch == 0) {
          first = lstm.evaluate(p).loss();
        }
      }
      EvalResult end = lstm.evaluate(p);
      assertThat(first).isGreaterThan(1.0);
      assertThat(end.loss()).isLessThan(0.1);
      assertThat(end.accuracy()).isEqualTo(1.0);
    }
  }

  @Test
  void transformer_shortText_overfitsBelowLoss0point1() {
    DjlData text = chars("the quick brown fox jumps over the lazy dog. ", 12);
    try (DjlLearner gpt = DjlLearner.create(DjlModels.parse("djl:transformer:1,32,4"), text, 3)) {
      ParameterSet p = gpt.parameters();
      double start = gpt.evaluate(p).loss();
      for (int epoch = 0; epoch < 40; epoch++) {
        p = gpt.fit(p, TrainConfig.builder().batchSize(8).learningRate(0.05).momentum(0.9).seed(epoch).build())
            .parameters();
      }
      assertThat(start).isGreaterThan(1.0);
      assertThat(gpt.evaluate(p).loss()).isLessThan(0.1);
    }
  }

  @Test
  void mlp_linearTarget_regressesToLowRmse() {
    RandomSource r = RandomSource.seeded(5);
    int n = 512;
    float[] x = new float[n * 2];
    float[] y = new float[n];
    for (int i = 0; i < n; i++) {
      x[2 * i] = (float) r.nextGaussian();
      x[2 * i + 1] = (float) r.nextGaussian();
      y[i] = 2 * x[2 * i] - x[2 * i + 1] + 0.5f;
    }
    DjlData data = DjlData.regression("linear", x, y, 2);
    try (DjlLearner mlp = DjlLearner.create(DjlModels.parse("djl:mlp:16"), data, 1)) {
      ParameterSet p = mlp.parameters();
      double start = mlp.evaluate(p).metrics().getOrNaN("rmse");
      TrainResult fit = mlp.fit(p, TrainConfig.builder().localEpochs(20).batchSize(16).learningRate(0.02).build());
      EvalResult end = mlp.evaluate(fit.parameters());
      assertThat(start).isGreaterThan(1.0);
      assertThat(end.metrics().getOrNaN("rmse")).isLessThan(0.1);
      assertThat(fit.localSteps()).isEqualTo(20L * (n / 16));
      assertThat(fit.numExamples()).isEqualTo(n);
    }
  }

  @Test
  void load_thenParameters_returnsTheSameValues() {
    DjlData data = digitsLike(40);
    try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 11)) {
      ParameterSet random = learner.parameters().map(t -> {
        float[] v = new float[t.size()];
        RandomSource r = RandomSource.seeded(t.name().hashCode());
        for (int i = 0; i < v.length; i++) {
          v[i] = (float) r.nextGaussian();
        }
        return Tensor.of(t.name(), v, t.shape());
      });
      learner.load(random);
      assertThat(learner.parameters()).isEqualTo(random).isNotSameAs(random);
      assertThat(learner.parameterCount()).isEqualTo(random.size());
    }
  }

  @Test
  void seed_fixesInitialModelAndTraining() {
    DjlData data = digitsLike(60);
    TrainConfig config = TrainConfig.builder().localEpochs(2).batchSize(8).learningRate(0.05).momentum(0.5)
        .weightDecay(1e-3).seed(9).build();
    try (DjlLearner a = DjlLearner.create(TINY_CNN, data, 21, 2);
        DjlLearner b = DjlLearner.create(TINY_CNN, data, 21, 2);
        DjlLearner c = DjlLearner.create(TINY_CNN, data, 22, 2)) {
      assertThat(a.parameters()).isEqualTo(b.parameters());
      assertThat(a.parameters()).isNotEqualTo(c.parameters());
      ParameterSet start = a.parameters();
      TrainResult ra = a.fit(start, config);
      TrainResult rb = b.fit(start, config);
      assertThat(ra.parameters()).isEqualTo(rb.parameters()).isNotEqualTo(start);
      assertThat(ra.metrics()).isEqualTo(rb.metrics());
      assertThat(a.fit(start, config.withSeed(10)).parameters()).isNotEqualTo(ra.parameters());
    }
  }

  @Test
  void fit_onAThreadOtherThanTheEngineLoader_trainsLikeOnIt() throws Exception {
    DjlData data = digitsLike(40);
    TrainConfig config = TrainConfig.builder().localEpochs(2).batchSize(8).learningRate(0.1).seed(5).build();
    ParameterSet[] here = new ParameterSet[1];
    try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 6)) {
      here[0] = learner.fit(learner.parameters(), config).parameters();
    }
    // grad mode is per thread in PyTorch: a fresh worker (as in the simulation) must get it off as well
    java.util.concurrent.atomic.AtomicReference<Object> there = new java.util.concurrent.atomic.AtomicReference<>();
    Thread worker = new Thread(() -> {
      try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 6)) {
        there.set(learner.fit(learner.parameters(), config).parameters());
      } catch (RuntimeException e) {
        there.set(e);
      }
    });
    worker.start();
    worker.join();
    assertThat(there.get()).isInstanceOf(ParameterSet.class);
    assertThat(distance((ParameterSet) there.get(), here[0])).isZero();
  }

  @Test
  void fit_twoLearnersInParallel_eachTrainsAsAlone() throws Exception {
    DjlData data = digitsLike(40);
    TrainConfig config = TrainConfig.builder().localEpochs(3).batchSize(4).learningRate(0.1).seed(5).build();
    ParameterSet alone;
    try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 6)) {
      alone = learner.fit(learner.parameters(), config).parameters();
    }
    // DJL's own GradientCollector allows one at a time per process; the simulation trains clients in parallel
    java.util.concurrent.ExecutorService pool = java.util.concurrent.Executors.newFixedThreadPool(2);
    try {
      java.util.List<java.util.concurrent.Future<ParameterSet>> runs = new java.util.ArrayList<>();
      for (int i = 0; i < 2; i++) {
        runs.add(pool.submit(() -> {
          try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 6)) {
            return learner.fit(learner.parameters(), config).parameters();
          }
        }));
      }
      for (var run : runs) {
        assertThat(distance(run.get(), alone)).isZero();
      }
    } finally {
      pool.shutdownNow();
    }
  }

  @Test
  void fit_proximalTerm_keepsTheModelCloserToTheGlobalOne() {
    DjlData data = digitsLike(80);
    try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 4)) {
      ParameterSet global = learner.parameters();
      TrainConfig plain = TrainConfig.builder().localEpochs(3).batchSize(8).learningRate(0.1).seed(2).build();
      double free = distance(learner.fit(global, plain).parameters(), global);
      double prox = distance(learner.fit(global, plain.withProximalMu(5.0)).parameters(), global);
      assertThat(prox).isLessThan(0.7 * free);
    }
  }

  @Test
  void fit_dpSgd_clipsEveryExampleGradientAndReproducesWithSeededNoise() {
    DjlData data = digitsLike(24);
    try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 4)) {
      ParameterSet global = learner.parameters();
      // one step over the whole batch, plain SGD with lr 1: the step is the batch gradient itself
      TrainConfig oneStep = TrainConfig.builder().localEpochs(1).batchSize(24).learningRate(1.0).seed(3).build();
      double plain = distance(learner.fit(global, oneStep).parameters(), global);
      double clip = 0.01;
      TrainConfig dp = new DpSgdSettings(clip, 1e-9, true).attachTo(oneStep);
      double clipped = distance(learner.fit(global, dp).parameters(), global);
      assertThat(plain).isGreaterThan(10 * clip);
      // the mean of 24 gradients of norm <= C (noise ~1e-11) moves the model by at most C
      assertThat(clipped).isLessThanOrEqualTo(clip * 1.001).isGreaterThan(0.1 * clip);
      TrainConfig noisy = new DpSgdSettings(1.0, 1.0, true).attachTo(oneStep);
      ParameterSet a = learner.fit(global, noisy).parameters();
      assertThat(learner.fit(global, noisy).parameters()).isEqualTo(a);
      assertThat(learner.fit(global, noisy.withSeed(4)).parameters()).isNotEqualTo(a);
    }
  }

  @Test
  void fit_refusesForeignParametersAndWrongData_withTheReason() {
    DjlData data = digitsLike(20);
    try (DjlLearner learner = DjlLearner.create(TINY_CNN, data, 4)) {
      ParameterSet other = ParameterSet.of(Tensor.zeros("w", 3));
      assertThatThrownBy(() -> learner.evaluate(other)).isInstanceOf(FlException.class)
          .hasMessageContaining("global parameters for djl:cnn:8,16,32");
    }
    assertThatThrownBy(() -> DjlLearner.create(DjlModels.parse("djl:lstm"), data, 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("next-token");
    assertThatThrownBy(() -> DjlLearner.create(TINY_CNN, DjlData.classification("flat", new float[64], new int[1], 10), 1))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("[channels, height, width]");
  }

  private static ParameterSet fedAvg(List<TrainResult> results) {
    long total = results.stream().mapToLong(TrainResult::numExamples).sum();
    ParameterSet first = results.get(0).parameters();
    float[] sum = new float[(int) first.size()];
    for (TrainResult r : results) {
      float[] v = r.parameters().flatten();
      float w = (float) r.numExamples() / total;
      for (int i = 0; i < v.length; i++) {
        sum[i] += w * v[i];
      }
    }
    return first.unflatten(sum);
  }

  private static double distance(ParameterSet a, ParameterSet b) {
    float[] x = a.flatten();
    float[] y = b.flatten();
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += (x[i] - y[i]) * (double) (x[i] - y[i]);
    }
    return Math.sqrt(s);
  }

  /** Random 1x8x8 images with labels, for tests that only need the shapes. */
  private static DjlData digitsLike(int n) {
    RandomSource r = RandomSource.seeded(n);
    float[] x = new float[n * 64];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      y[i] = r.nextInt(10);
      for (int j = 0; j < 64; j++) {
        x[i * 64 + j] = r.nextFloat() + (j % 10 == y[i] ? 1f : 0f);
      }
    }
    return DjlData.classification("digits-like", x, y, 10, 1, 8, 8);
  }

  /** Every window of {@code window} characters of {@code text} (cyclic) and the character after it. */
  static DjlData chars(String text, int window) {
    String alphabet = text.chars().distinct().sorted()
        .collect(StringBuilder::new, StringBuilder::appendCodePoint, StringBuilder::append).toString();
    int n = text.length();
    float[] x = new float[n * window];
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < window; j++) {
        x[i * window + j] = alphabet.indexOf(text.charAt((i + j) % n));
      }
      y[i] = alphabet.indexOf(text.charAt((i + window) % n));
    }
    return DjlData.nextToken("text", x, y, alphabet.length(), window);
  }
}
