package dev.starling.vertical.lr;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.privacy.he.Paillier;
import dev.starling.vertical.ColumnBlock;
import dev.starling.vertical.Fixtures;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.link.InProcessLink;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class VerticalLogisticRegressionTest {
  private static Paillier.KeyPair keys;

  @BeforeAll
  static void keys() {
    keys = Paillier.generate(Paillier.MIN_BITS, new SecureRandom());
  }

  /**
   * Tolerance: the protocol differs from centralised SGD only by fixed point (features to 2^-16, residuals to
   * 2^-24), so after 2 epochs of 2 steps at lr 0.5 every weight, the bias and every test score agree within 1e-4.
   */
  @Test
  void train_twoParties_matchesCentralisedLogisticRegression() throws Exception {
    RandomSource rng = RandomSource.seeded(7);
    ColumnBlock a = Fixtures.gaussian(32, 3, "a", rng.derive(1));
    ColumnBlock b = Fixtures.gaussian(32, 3, "b", rng.derive(2));
    int[] y = Fixtures.labels(a, b, rng.derive(3));
    VerticalConfig cfg = new VerticalConfig(2, 12, 0.5, 0.01, 0.25, 11);
    InProcessLink[] link = InProcessLink.pair("label", "feature", Duration.ofSeconds(60));
    CompletableFuture<float[]> featureWeights = CompletableFuture.supplyAsync(
        () -> VerticalLogisticRegression.feature(b, link[1], new SecureRandom()));

    VerticalLogisticRegression.LabelResult res = VerticalLogisticRegression.label(a, y, cfg, keys, link[0], new SecureRandom());

    LogisticRegression central = LogisticRegression.train(Fixtures.concat(a, b), y, cfg);
    float[] wf = featureWeights.get(60, TimeUnit.SECONDS);
    float[] cw = central.weights();
    for (int j = 0; j < 3; j++) {
      assertThat(res.weights()[j]).as("label weight %d", j).isCloseTo(cw[j], within(1e-4f));
      assertThat(wf[j]).as("feature weight %d", j).isCloseTo(cw[3 + j], within(1e-4f));
    }
    assertThat(res.bias()).isCloseTo(central.bias(), within(1e-4f));
    assertThat(wf[0]).isNotZero();
    float[] cs = central.predict(Fixtures.concat(a, b).select(cfg.testIndex(32)));
    assertThat(res.testScores()).hasSize(8);
    for (int i = 0; i < cs.length; i++) {
      assertThat(res.testScores()[i]).isCloseTo(cs[i], within(1e-4f));
    }
    assertThat(res.epochs()).hasSize(2);
    // per step: 12 ciphertexts of 512 bytes down, 3 masked values up and 3 plaintexts down
    assertThat(res.epochs().get(0).bytesSent()).isGreaterThan(2L * 12 * 512);
  }

  @Test
  void feature_batchNotLargerThanColumns_refusedBeforeTraining() {
    ColumnBlock b = Fixtures.gaussian(40, 5, "b", RandomSource.seeded(1));
    ColumnBlock a = Fixtures.gaussian(40, 1, "a", RandomSource.seeded(2));
    InProcessLink[] link = InProcessLink.pair("label", "feature", Duration.ofSeconds(10));
    CompletableFuture.runAsync(() -> {
      try {
        VerticalLogisticRegression.label(a, new int[40], new VerticalConfig(1, 5, 0.1, 0, 0, 1), keys, link[0], new SecureRandom());
      } catch (FlException expected) {
        // the feature party closes the link
      }
    });
    assertThatThrownBy(() -> VerticalLogisticRegression.feature(b, link[1], new SecureRandom()))
        .isInstanceOf(FlException.class).hasMessageContaining("batch size 5").hasMessageContaining("5 columns");
    link[1].close();
  }

  @Test
  void feature_rowCountDiffers_refusedNamingBothCounts() {
    ColumnBlock b = Fixtures.gaussian(30, 2, "b", RandomSource.seeded(1));
    InProcessLink[] link = InProcessLink.pair("label", "feature", Duration.ofSeconds(10));
    CompletableFuture.runAsync(() -> {
      try {
        VerticalLogisticRegression.label(Fixtures.gaussian(40, 1, "a", RandomSource.seeded(2)), new int[40],
            new VerticalConfig(1, 10, 0.1, 0, 0, 1), keys, link[0], new SecureRandom());
      } catch (FlException expected) {
        // the feature party closes the link
      }
    });
    assertThatThrownBy(() -> VerticalLogisticRegression.feature(b, link[1], new SecureRandom()))
        .isInstanceOf(FlException.class).hasMessageContaining("40 aligned rows").hasMessageContaining("30");
    link[1].close();
  }
}
