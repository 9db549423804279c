package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class IidPartitionerTest {
  private final IidPartitioner iid = new IidPartitioner();

  @Test
  void partition_sizeNotDivisible_sizesDifferByAtMostOne() {
    Dataset data = PartitionFixtures.balanced(1003, 10);
    List<ClientShard> shards = iid.partition(data, 10, RandomSource.seeded(7));

    assertThat(PartitionFixtures.sizes(shards)).containsExactly(101, 101, 101, 100, 100, 100, 100, 100, 100, 100);
    PartitionFixtures.assertDisjointCover(shards, 1003);
  }

  @Test
  void partition_tenThousandRows_labelDistributionCloseToGlobal() {
    Dataset data = PartitionFixtures.balanced(10_000, 10);
    for (long seed = 1; seed <= 5; seed++) {
      List<ClientShard> shards = iid.partition(data, 10, RandomSource.seeded(seed));

      // Under IID sampling the statistic has mean about (10 - 1) * (10 - 1) = 81 and sd about 13.
      assertThat(PartitionFixtures.chiSquare(data, shards)).isLessThan(2 * 81);
      for (int[] counts : PartitionFixtures.classCounts(data, shards)) {
        assertThat(PartitionFixtures.totalVariation(counts, data)).isLessThan(0.1);
        assertThat(PartitionFixtures.distinctLabels(counts)).isEqualTo(10);
      }
    }
  }

  @Test
  void partition_numClientsEqualsRows_oneRowEach() {
    Dataset data = PartitionFixtures.balanced(50, 5);
    List<ClientShard> shards = iid.partition(data, 50, RandomSource.seeded(3));

    assertThat(shards).hasSize(50).allSatisfy(s -> assertThat(s.size()).isEqualTo(1));
    PartitionFixtures.assertDisjointCover(shards, 50);
  }

  @Test
  void partition_oneClient_getsEveryRow() {
    Dataset data = PartitionFixtures.balanced(100, 4);
    List<ClientShard> shards = iid.partition(data, 1, RandomSource.seeded(3));

    assertThat(shards).singleElement().satisfies(s -> assertThat(s.rows()).hasSize(100));
  }

  @Test
  void partition_rowsShuffled_notContiguousBlocks() {
    Dataset data = PartitionFixtures.balanced(1000, 10);
    int[] first = iid.partition(data, 10, RandomSource.seeded(5)).get(0).rows();

    int[] contiguous = new int[100];
    Arrays.setAll(contiguous, i -> i);
    assertThat(first).isNotEqualTo(contiguous);
  }

  @Test
  void partition_zeroClients_throws() {
    Dataset data = PartitionFixtures.balanced(10, 2);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> iid.partition(data, 0, RandomSource.seeded(1)))
        .withMessageContaining("numClients must be > 0");
  }

  @Test
  void partition_moreClientsThanRows_throwsExplaining() {
    Dataset data = PartitionFixtures.balanced(10, 2);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> iid.partition(data, 11, RandomSource.seeded(1)))
        .withMessage("numClients must be <= the dataset size 10 so that every client gets at least one row. "
            + "Provided value: 11");
  }

  @Test
  void describe_always_iid() {
    assertThat(iid.describe()).isEqualTo("iid");
  }
}
