package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class DirichletPartitionerTest {
  private static final Dataset DATA = PartitionFixtures.balanced(1000, 10);

  /** Mean over clients and seeds 1..5 of the fewest classes holding 90% of a client's rows. */
  private static double meanClassesFor90Percent(double alpha) {
    double sum = 0;
    int n = 0;
    for (long seed = 1; seed <= 5; seed++) {
      List<ClientShard> shards = new DirichletPartitioner(alpha).partition(DATA, 10, RandomSource.seeded(seed));
      for (int[] counts : PartitionFixtures.classCounts(DATA, shards)) {
        sum += PartitionFixtures.classesHolding(counts, 0.9);
        n++;
      }
    }
    return sum / n;
  }

  private static double meanTotalVariation(double alpha) {
    double sum = 0;
    for (long seed = 1; seed <= 5; seed++) {
      sum += PartitionFixtures.meanTotalVariation(DATA,
          new DirichletPartitioner(alpha).partition(DATA, 10, RandomSource.seeded(seed)));
    }
    return sum / 5;
  }

  @Test
  void partition_smallAlpha_muchMoreLabelSkewThanLargeAlpha() {
    double tvSkewed = meanTotalVariation(0.1);
    double tvNearIid = meanTotalVariation(100);

    assertThat(tvSkewed).isGreaterThan(0.5);
    assertThat(tvNearIid).isLessThan(0.15);
    assertThat(tvSkewed).isGreaterThan(4 * tvNearIid);

    // With alpha = 0.1 a client's data sits in a few classes; with alpha = 100 it needs nearly all ten.
    assertThat(meanClassesFor90Percent(0.1)).isLessThan(3.5);
    assertThat(meanClassesFor90Percent(100)).isGreaterThan(7.5);
  }

  @Test
  void partition_skewDecreasesWithAlpha() {
    assertThat(meanTotalVariation(0.1)).isGreaterThan(meanTotalVariation(1));
    assertThat(meanTotalVariation(1)).isGreaterThan(meanTotalVariation(10));
    assertThat(meanTotalVariation(10)).isGreaterThan(meanTotalVariation(100));
  }

  @Test
  void partition_smallAlpha_everyClientHasAtLeastMinSize() {
    for (long seed = 1; seed <= 20; seed++) {
      List<ClientShard> shards = new DirichletPartitioner(0.1).partition(DATA, 10, RandomSource.seeded(seed));

      assertThat(Arrays.stream(PartitionFixtures.sizes(shards)).min().orElseThrow()).isGreaterThanOrEqualTo(10);
      PartitionFixtures.assertDisjointCover(shards, 1000);
    }
  }

  @Test
  void partition_infeasibleDraws_repairedToFloorOfAverageSize() {
    // 200 clients over 1000 rows with alpha = 0.01: almost every draw leaves clients empty, so the
    // best draw is repaired to min(10, 1000 / 200) = 5 rows per client.
    List<ClientShard> shards = new DirichletPartitioner(0.01).partition(DATA, 200, RandomSource.seeded(9));

    assertThat(shards).hasSize(200);
    assertThat(Arrays.stream(PartitionFixtures.sizes(shards)).min().orElseThrow()).isGreaterThanOrEqualTo(5);
    PartitionFixtures.assertDisjointCover(shards, 1000);
  }

  @Test
  void partition_numClientsEqualsRows_oneRowEach() {
    Dataset data = PartitionFixtures.balanced(30, 3);
    List<ClientShard> shards = new DirichletPartitioner(0.5).partition(data, 30, RandomSource.seeded(2));

    assertThat(PartitionFixtures.sizes(shards)).containsOnly(1);
    PartitionFixtures.assertDisjointCover(shards, 30);
  }

  @Test
  void partition_emptyClass_ignored() {
    int[] labels = new int[100];
    Arrays.setAll(labels, i -> i % 2 == 0 ? 0 : 2); // class 1 has no rows
    Dataset data = Dataset.builder().features(new float[100]).labels(labels).numFeatures(1).numClasses(3).build();
    List<ClientShard> shards = new DirichletPartitioner(1).partition(data, 4, RandomSource.seeded(2));

    PartitionFixtures.assertDisjointCover(shards, 100);
  }

  @Test
  void partition_oneClient_getsEveryRow() {
    List<ClientShard> shards = new DirichletPartitioner(0.3).partition(DATA, 1, RandomSource.seeded(2));

    assertThat(shards).singleElement().satisfies(s -> assertThat(s.rows()).hasSize(1000));
  }

  @Test
  void constructor_nonPositiveAlpha_throws() {
    assertThatIllegalArgumentException().isThrownBy(() -> new DirichletPartitioner(0))
        .withMessage("alpha must be > 0 and finite. Provided value: 0.0");
    assertThatIllegalArgumentException().isThrownBy(() -> new DirichletPartitioner(Double.NaN));
    assertThatIllegalArgumentException().isThrownBy(() -> new DirichletPartitioner(Double.POSITIVE_INFINITY));
  }

  @Test
  void describe_alpha_plainDecimal() {
    assertThat(new DirichletPartitioner(0.5).describe()).isEqualTo("dirichlet:0.5");
    assertThat(new DirichletPartitioner(100).describe()).isEqualTo("dirichlet:100");
  }
}
