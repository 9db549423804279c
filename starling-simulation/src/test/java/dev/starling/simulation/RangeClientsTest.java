package dev.starling.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientId;
import dev.starling.core.random.RandomSource;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.strategy.FedAvg;
import java.io.IOException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class RangeClientsTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws IOException {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RoundLoop.Result run(int threads, int clients, int perRound, int rounds) {
    ModelSpec spec = ModelSpec.logreg();
    Dataset train = digits.train();
    RoundLoopConfig cfg = RoundLoopConfig.builder().rounds(rounds).fractionFit(perRound / (double) clients)
        .minFitClients(perRound).seed(11).foldOrder(FoldOrder.SELECTION)
        .trainDefaults(TrainConfig.builder().localEpochs(5).batchSize(4).learningRate(0.5).build()).build();
    try (RangeClients pool = RangeClients.evenSplit(train, clients, spec, threads)) {
      return new RoundLoop(new FedAvg(), pool, cfg, RoundListener.NONE)
          .run(spec.initialize(train.numFeatures(), train.numClasses(), RandomSource.seeded(5)));
    }
  }

  @Test
  void clientDataAreTheirContiguousRowRanges() {
    Dataset shared = digits.train();
    try (RangeClients pool = new RangeClients(shared, new int[] {0, 3, 3, 10}, ModelSpec.logreg(), 1)) {
      assertThat(pool.size()).isEqualTo(3);
      assertThat(pool.data(0).labels()).containsExactly(java.util.Arrays.copyOfRange(shared.labels(), 0, 3));
      assertThat(pool.data(1).size()).isZero();
      assertThat(pool.data(2).features()).containsExactly(java.util.Arrays.copyOfRange(shared.features(), 3 * shared.numFeatures(),
          10 * shared.numFeatures()));
      assertThat(pool.available()).extracting(c -> c.id()).containsExactly(ClientId.ofIndex(0), ClientId.ofIndex(1), ClientId.ofIndex(2));
    }
  }

  @Test
  void listsClientsInIdOrderUpToAMillion() {
    Dataset shared = digits.train();
    try (RangeClients pool = RangeClients.evenSplit(shared, 1000, ModelSpec.logreg(), 1)) {
      assertThat(pool.sortedById()).isTrue();
      assertThat(pool.available()).extracting(c -> c.id()).isSorted();
    }
  }

  @Test
  void idsMatchTheConventionalFormat() {
    for (int i : new int[] {0, 7, 123_456, 999_999, 1_000_000, 87_654_321}) {
      assertThat(RangeClients.idString(i)).isEqualTo(ClientId.ofIndex(i).value());
    }
  }

  @Test
  void manyClientsTrainAndReproduceBitForBitWhateverTheThreads() {
    RoundLoop.Result a = run(1, 400, 40, 15);
    RoundLoop.Result b = run(3, 400, 40, 15);
    assertThat(b.global().flatten()).containsExactly(a.global().flatten());
    assertThat(a.history().rounds()).allSatisfy(r -> assertThat(r.clientsSucceeded()).isEqualTo(40));
    double before = Evaluation.evaluate(ModelSpec.logreg(), ModelSpec.logreg().initialize(digits.train().numFeatures(),
        digits.train().numClasses(), RandomSource.seeded(5)), digits.test()).accuracy();
    double after = Evaluation.evaluate(ModelSpec.logreg(), a.global(), digits.test()).accuracy();
    assertThat(after).as("accuracy after 15 rounds vs %.3f at start", before).isGreaterThan(0.7).isGreaterThan(before + 0.3);
  }

  @Test
  void rejectsBoundsOutsideTheData() {
    Dataset shared = digits.train();
    assertThatThrownBy(() -> new RangeClients(shared, new int[] {0, 5, 4}, ModelSpec.logreg(), 1))
        .hasMessageContaining("bounds[2]").hasMessageContaining("4");
    assertThatThrownBy(() -> new RangeClients(shared, new int[] {0, shared.size() + 1}, ModelSpec.logreg(), 1))
        .hasMessageContaining("bounds[1]");
  }
}
