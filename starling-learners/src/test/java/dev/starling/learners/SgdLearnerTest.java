package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

class SgdLearnerTest {
  // Hand-computed case: logreg on one row x = (1, 2) with label 1. The weight columns are equal, so the
  // logits tie, p = (0.5, 0.5), the loss is ln 2 and the gradient is x_i (p - onehot(1)):
  // dW = [[0.5, -0.5], [1, -1]], db = (0.5, -0.5).
  private static final float[] W0 = {0.5f, 0.5f, -1f, -1f};
  private static final float[] B0 = {0.1f, 0.1f};
  private static final float[] GRAD_W = {0.5f, -0.5f, 1f, -1f};
  private static final float[] GRAD_B = {0.5f, -0.5f};
  private static final double LR = 0.1;

  @Test
  void fit_oneStep_matchesHandComputedSgdStep() {
    TrainResult result = fitSingleRow(config(1).build());

    assertClose(weights(result), 0.45f, 0.55f, -1.1f, -0.9f);
    assertClose(biases(result), 0.05f, 0.15f);
    assertThat(result.metrics().getOrNaN(Metrics.LOSS)).isCloseTo(Math.log(2), within(1e-6));
    assertThat(result.numExamples()).isEqualTo(1);
    assertThat(result.localSteps()).isEqualTo(1);
  }

  @Test
  void fit_gradientCorrection_addedToEveryGradient() {
    // One step with correction c: w - lr (g + c). c = 0.25 on weights, -1 on biases.
    float[] cw = {0.25f, 0.25f, 0.25f, 0.25f};
    float[] cb = {-1f, -1f};
    TrainResult result = fitSingleRow(config(1).gradientCorrection(EvaluationTest.logreg(cw, cb)).build());
    assertClose(weights(result), 0.425f, 0.525f, -1.125f, -0.925f);
    assertClose(biases(result), 0.15f, 0.25f);
  }

  @Test
  void fit_weightDecay_addsDecayTimesWeightToWeightGradientOnly() {
    TrainResult result = fitSingleRow(config(1).weightDecay(0.5).build());

    // w - lr (g + 0.5 w); biases take the plain step.
    assertClose(weights(result), 0.425f, 0.525f, -1.05f, -0.85f);
    assertClose(biases(result), 0.05f, 0.15f);
  }

  @Test
  void fit_momentum_secondStepAddsMomentumTimesFirstGradient() {
    // Step 1 is the same with or without momentum (v = g0); step 2 differs by -lr * m * g0.
    double m = 0.9;
    TrainResult plain = fitSingleRow(config(2).build());
    TrainResult heavy = fitSingleRow(config(2).momentum(m).build());

    assertClose(difference(weights(heavy), weights(plain)), scaled(GRAD_W, -LR * m));
    assertClose(difference(biases(heavy), biases(plain)), scaled(GRAD_B, -LR * m));
  }

  @Test
  void fit_proximalTerm_secondStepPullsTowardGlobalByMuTimesDrift() {
    // Step 1 starts at the global model, so the proximal term is zero; after it w1 - w0 = -lr g0, and
    // step 2 gains -lr * mu * (w1 - w0) = lr^2 mu g0 on every parameter.
    double mu = 2;
    TrainResult plain = fitSingleRow(config(2).build());
    TrainResult prox = fitSingleRow(config(2).proximalMu(mu).build());

    assertClose(difference(weights(prox), weights(plain)), scaled(GRAD_W, LR * LR * mu));
    assertClose(difference(biases(prox), biases(plain)), scaled(GRAD_B, LR * LR * mu));
  }

  @Test
  void fit_largeProximalMu_staysCloserToGlobal() {
    Dataset data = blobs(200, 6, 3, 11);
    ModelSpec spec = ModelSpec.mlp(8);
    ParameterSet global = spec.initialize(6, 3, RandomSource.seeded(2));
    TrainConfig.Builder b = TrainConfig.builder().localEpochs(5).batchSize(10).learningRate(0.1).seed(3);

    ParameterSet plain = new SgdLearner(spec, data, global).fit(global, b.build()).parameters();
    ParameterSet prox = new SgdLearner(spec, data, global).fit(global, b.proximalMu(1.0).build()).parameters();

    double plainDrift = distance(plain, global);
    double proxDrift = distance(prox, global);
    assertThat(plainDrift).isGreaterThan(0);
    assertThat(proxDrift).isLessThan(0.7 * plainDrift);
  }

  @Test
  void fit_anyConfig_doesNotMutateGlobal() {
    Dataset data = blobs(50, 4, 3, 1);
    ModelSpec spec = ModelSpec.mlp(5);
    ParameterSet global = spec.initialize(4, 3, RandomSource.seeded(1));
    ParameterSet snapshot = global.copy();
    SgdLearner learner = new SgdLearner(spec, data, global);

    TrainResult result = learner.fit(global, TrainConfig.builder().localEpochs(2).batchSize(8).momentum(0.9)
        .weightDecay(0.01).proximalMu(0.1).seed(4).build());

    assertThat(global).isEqualTo(snapshot);
    assertThat(result.parameters()).isNotEqualTo(global);
    assertThat(result.parameters().get("layer0.weight").data()).isNotSameAs(global.get("layer0.weight").data());
    assertThat(result.parameters().sameSpec(global)).isTrue();
  }

  @Test
  void fit_sameSeedTwice_identicalParameters() {
    Dataset data = blobs(97, 5, 4, 2);
    ModelSpec spec = ModelSpec.mlp(7, 6);
    ParameterSet global = spec.initialize(5, 4, RandomSource.seeded(9));
    TrainConfig config = TrainConfig.builder().localEpochs(3).batchSize(10).momentum(0.5).weightDecay(1e-3)
        .proximalMu(0.01).seed(123).build();
    SgdLearner reused = new SgdLearner(spec, data, global);

    float[] a = new SgdLearner(spec, data, global).fit(global, config).parameters().flatten();
    float[] b = reused.fit(global, config.withSeed(999)).parameters().flatten();
    float[] c = reused.fit(global, config).parameters().flatten();

    assertThat(Arrays.equals(a, c)).isTrue();
    assertThat(Arrays.equals(a, b)).isFalse();
  }

  @Test
  void fit_partialLastBatch_countsEveryBatchAsAStep() {
    Dataset data = blobs(25, 3, 2, 5);
    ModelSpec spec = ModelSpec.logreg();
    ParameterSet global = spec.initialize(3, 2, RandomSource.seeded(1));
    SgdLearner learner = new SgdLearner(spec, data, global);

    assertThat(learner.fit(global, TrainConfig.builder().localEpochs(3).batchSize(10).build()).localSteps()).isEqualTo(9);
    assertThat(learner.fit(global, TrainConfig.builder().localEpochs(2).batchSize(64).build()).localSteps()).isEqualTo(2);
  }

  @Test
  void fit_emptyData_returnsCopyOfGlobalWithZeroExamples() {
    Dataset empty = Dataset.builder().features(new float[0]).labels(new int[0]).numFeatures(3).numClasses(2).build();
    ParameterSet global = ModelSpec.mlp(2).initialize(3, 2, RandomSource.seeded(1));
    SgdLearner learner = new SgdLearner(ModelSpec.mlp(2), empty, global);

    TrainResult result = learner.fit(global, TrainConfig.builder().build());

    assertThat(result.numExamples()).isZero();
    assertThat(result.localSteps()).isZero();
    assertThat(result.parameters()).isEqualTo(global);
    assertThat(result.parameters().get("layer0.weight").data()).isNotSameAs(global.get("layer0.weight").data());
    assertThat(learner.parameters()).isSameAs(result.parameters());
  }

  @Test
  void fit_incompatibleGlobal_throwsInvalidArgument() {
    Dataset data = blobs(10, 3, 2, 1);
    SgdLearner learner = new SgdLearner(ModelSpec.logreg(), data, ModelSpec.logreg().initialize(3, 2, RandomSource.seeded(1)));
    ParameterSet wrong = ModelSpec.mlp(4).initialize(3, 2, RandomSource.seeded(1));

    assertThatThrownBy(() -> learner.fit(wrong, TrainConfig.builder().build()))
        .isInstanceOfSatisfying(FlException.class, e -> assertThat(e.code()).isEqualTo(ErrorCode.INVALID_ARGUMENT))
        .hasMessageContaining("layer0.weight");
  }

  @Test
  void constructor_initialForOtherData_throwsInvalidArgument() {
    Dataset data = blobs(10, 3, 2, 1);
    ParameterSet forFourFeatures = ModelSpec.logreg().initialize(4, 2, RandomSource.seeded(1));

    assertThatThrownBy(() -> new SgdLearner(ModelSpec.logreg(), data, forFourFeatures))
        .isInstanceOf(FlException.class).hasMessageContaining("[4, 2]");
  }

  @Test
  void parameters_beforeAndAfterFit_initialThenTrained() {
    Dataset data = blobs(20, 3, 2, 1);
    ParameterSet initial = ModelSpec.logreg().initialize(3, 2, RandomSource.seeded(1));
    SgdLearner learner = new SgdLearner(ModelSpec.logreg(), data, initial);

    assertThat(learner.parameters()).isSameAs(initial);
    TrainResult result = learner.fit(initial, TrainConfig.builder().build());
    assertThat(learner.parameters()).isSameAs(result.parameters());
  }

  @Test
  void evaluate_binaryData_reportsLossAccuracyAndAuc() {
    Dataset data = blobs(60, 3, 2, 8);
    ModelSpec spec = ModelSpec.logreg();
    ParameterSet global = spec.initialize(3, 2, RandomSource.seeded(1));
    SgdLearner learner = new SgdLearner(spec, data, global);
    ParameterSet trained = learner.fit(global, TrainConfig.builder().localEpochs(10).batchSize(8).learningRate(0.2).build())
        .parameters();

    EvalResult result = learner.evaluate(trained);

    assertThat(result.numExamples()).isEqualTo(60);
    assertThat(result.metrics().asMap()).containsOnlyKeys(Metrics.LOSS, Metrics.ACCURACY, Metrics.AUC);
    assertThat(result.accuracy()).isGreaterThan(0.9);
    assertThat(result.metrics().getOrNaN(Metrics.AUC)).isGreaterThan(0.95);
    assertThat(learner.parameters()).isSameAs(trained);
  }

  private static TrainConfig.Builder config(int epochs) {
    return TrainConfig.builder().localEpochs(epochs).batchSize(4).learningRate(LR).seed(1);
  }

  private static TrainResult fitSingleRow(TrainConfig config) {
    Dataset one = Dataset.builder().features(new float[] {1f, 2f}).labels(new int[] {1}).numFeatures(2).numClasses(2)
        .build();
    ParameterSet global = EvaluationTest.logreg(W0.clone(), B0.clone());
    return new SgdLearner(ModelSpec.logreg(), one, global).fit(global, config);
  }

  private static float[] weights(TrainResult r) {
    return r.parameters().get("layer0.weight").data();
  }

  private static float[] biases(TrainResult r) {
    return r.parameters().get("layer0.bias").data();
  }

  private static float[] difference(float[] a, float[] b) {
    float[] d = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = a[i] - b[i];
    }
    return d;
  }

  private static float[] scaled(float[] a, double s) {
    float[] d = new float[a.length];
    for (int i = 0; i < a.length; i++) {
      d[i] = (float) (a[i] * s);
    }
    return d;
  }

  private static void assertClose(float[] actual, float... expected) {
    assertThat(actual).hasSameSizeAs(expected);
    for (int i = 0; i < expected.length; i++) {
      assertThat(actual[i]).as("element " + i).isCloseTo(expected[i], within(1e-6f));
    }
  }

  private static double distance(ParameterSet a, ParameterSet b) {
    float[] x = a.flatten();
    float[] y = b.flatten();
    double s = 0;
    for (int i = 0; i < x.length; i++) {
      s += (double) (x[i] - y[i]) * (x[i] - y[i]);
    }
    return Math.sqrt(s);
  }

  /** Gaussian blobs: class c centred at 2 * e_(c mod features), unit noise. */
  static Dataset blobs(int n, int features, int classes, long seed) {
    RandomSource rng = RandomSource.seeded(seed);
    float[] x = new float[n * features];
    int[] y = new int[n];
    for (int r = 0; r < n; r++) {
      y[r] = r % classes;
      for (int i = 0; i < features; i++) {
        x[r * features + i] = (float) (rng.nextGaussian() * 0.7 + (i == y[r] % features ? 2 : 0));
      }
    }
    return Dataset.builder().features(x).labels(y).numFeatures(features).numClasses(classes).build();
  }
}
