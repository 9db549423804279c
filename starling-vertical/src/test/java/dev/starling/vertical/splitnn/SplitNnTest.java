package dev.starling.vertical.splitnn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.learners.Evaluation;
import dev.starling.vertical.ColumnBlock;
import dev.starling.vertical.Fixtures;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.link.InProcessLink;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class SplitNnTest {
  @Test
  void train_labelNeedsBothParties_splitBeatsLabelPartyAloneAndCarriesOnlyCutLayers() throws Exception {
    RandomSource rng = RandomSource.seeded(5);
    ColumnBlock a = Fixtures.gaussian(1200, 3, "a", rng.derive(1));
    ColumnBlock b = Fixtures.gaussian(1200, 4, "b", rng.derive(2));
    int[] y = Fixtures.labels(a, b, rng.derive(3));
    VerticalConfig cfg = new VerticalConfig(8, 32, 0.1, 0, 0.25, 3);
    InProcessLink[] link = InProcessLink.pair("label", "feature", Duration.ofSeconds(30));
    CompletableFuture<Void> feature = CompletableFuture.runAsync(
        () -> SplitNn.feature(b, new int[] {8}, link[1], RandomSource.seeded(9)));

    SplitNn.LabelResult res = SplitNn.label(a, y, cfg, new SplitNn.Architecture(new int[] {8}, 4, 4, new int[] {8}),
        link[0], RandomSource.seeded(8));
    feature.get(30, TimeUnit.SECONDS);

    double split = Evaluation.auc(res.testScores(), res.testLabels());
    double alone = Evaluation.auc(SplitNn.centralised(a, y, cfg, new int[] {8}, RandomSource.seeded(8)), res.testLabels());
    double central = Evaluation.auc(SplitNn.centralised(Fixtures.concat(a, b), y, cfg, new int[] {8}, RandomSource.seeded(8)),
        res.testLabels());
    assertThat(split).isGreaterThan(alone + 0.1).isGreaterThan(central - 0.03);
    // each epoch: 900 training rows x 4 floats up (activations) and down (gradients), plus per-message headers
    long perEpoch = res.epochs().get(0).bytesSent() + res.epochs().get(0).bytesReceived();
    assertThat(perEpoch).isBetween(2L * 900 * 4 * 4, 2L * 900 * 4 * 4 + 29L * 2 * 32);
    assertThat(res.epochs().get(7).trainLoss()).isLessThan(res.epochs().get(0).trainLoss());
  }

  @Test
  void feature_nonFiniteActivations_refusedByTheLabelParty() {
    ColumnBlock a = Fixtures.gaussian(20, 2, "a", RandomSource.seeded(1));
    ColumnBlock b = Fixtures.gaussian(20, 2, "b", RandomSource.seeded(2));
    b.x()[0] = Float.NaN;
    InProcessLink[] link = InProcessLink.pair("label", "feature", Duration.ofSeconds(10));
    CompletableFuture.runAsync(() -> {
      try {
        SplitNn.feature(b, new int[0], link[1], RandomSource.seeded(9));
      } catch (FlException expected) {
        // the label party closes the link
      }
    });
    assertThatThrownBy(() -> SplitNn.label(a, new int[20], new VerticalConfig(1, 20, 0.1, 0, 0, 1),
        new SplitNn.Architecture(new int[0], 2, 2, new int[0]), link[0], RandomSource.seeded(1)))
        .isInstanceOf(FlException.class).hasMessageContaining("activation");
    link[0].close();
  }
}
