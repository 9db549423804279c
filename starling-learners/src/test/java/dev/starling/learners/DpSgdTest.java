package dev.starling.learners;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.learner.DpSgdSettings;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import org.junit.jupiter.api.Test;

/** DP-SGD inside SgdLearner: exact in the no-noise limit, bounded by clipping, and still learns. */
class DpSgdTest {
  private static final ModelSpec LOGREG = ModelSpec.parse("logreg");

  private static Dataset firstRows(Dataset d, int n) {
    int[] rows = new int[n];
    for (int i = 0; i < n; i++) {
      rows[i] = i;
    }
    return d.subset(rows);
  }

  @Test
  void fit_noNoiseAndLargeClip_equalsPlainSgd() {
    Dataset train = firstRows(Digits.train(), 320);
    ParameterSet init = LOGREG.initialize(Digits.FEATURES, Digits.CLASSES, RandomSource.seeded(1));
    TrainConfig plain = TrainConfig.builder().localEpochs(2).batchSize(32).learningRate(0.1).seed(3).build();
    TrainConfig dp = new DpSgdSettings(1e6, 1e-12, true).attachTo(plain);
    float[] a = new SgdLearner(LOGREG, train, init).fit(init, plain).parameters().flatten();
    float[] b = new SgdLearner(LOGREG, train, init).fit(init, dp).parameters().flatten();
    for (int i = 0; i < a.length; i++) {
      assertThat(b[i]).as("parameter %d", i).isCloseTo(a[i], within(1e-4f));
    }
  }

  @Test
  void fit_tinyClip_boundsEachStepByLearningRateTimesClip() {
    Dataset train = firstRows(Digits.train(), 32);
    ParameterSet init = LOGREG.initialize(Digits.FEATURES, Digits.CLASSES, RandomSource.seeded(1));
    TrainConfig cfg = new DpSgdSettings(0.01, 1e-12, true)
        .attachTo(TrainConfig.builder().localEpochs(1).batchSize(32).learningRate(0.5).seed(3).build());
    float[] w0 = init.flatten();
    float[] w1 = new SgdLearner(LOGREG, train, init).fit(init, cfg).parameters().flatten();
    float[] plain = new SgdLearner(LOGREG, train, init).fit(init, TrainConfig.builder().localEpochs(1).batchSize(32)
        .learningRate(0.5).seed(3).build()).parameters().flatten();
    double s = 0;
    double p = 0;
    for (int i = 0; i < w0.length; i++) {
      s += (w1[i] - w0[i]) * (double) (w1[i] - w0[i]);
      p += (plain[i] - w0[i]) * (double) (plain[i] - w0[i]);
    }
    // The mean of 32 gradients each of norm <= C has norm <= C, so one step moves at most lr * C.
    assertThat(Math.sqrt(s)).isLessThanOrEqualTo(0.5 * 0.01 * 1.0001).isPositive();
    assertThat(Math.sqrt(p)).isGreaterThan(10 * Math.sqrt(s));
  }

  @Test
  void fit_withNoise_stillLearnsDigits() {
    Dataset train = Digits.train();
    ParameterSet init = LOGREG.initialize(Digits.FEATURES, Digits.CLASSES, RandomSource.seeded(1));
    TrainConfig cfg = new DpSgdSettings(1.0, 1.0, true)
        .attachTo(TrainConfig.builder().localEpochs(15).batchSize(64).learningRate(0.5).seed(3).build());
    TrainResult r = new SgdLearner(LOGREG, train, init).fit(init, cfg);
    EvalResult e = Evaluation.evaluate(LOGREG, r.parameters(), Digits.test());
    assertThat(e.accuracy()).isGreaterThanOrEqualTo(0.85);
  }
}
