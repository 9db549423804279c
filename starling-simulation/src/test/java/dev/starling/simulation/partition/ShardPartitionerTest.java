package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShardPartitionerTest {
  /** 1000 rows, 10 classes of 100: with 10 clients and K = 2 every shard is 50 rows of one class. */
  private static final Dataset DATA = PartitionFixtures.balanced(1000, 10);

  @Test
  void partition_twoShardsPerClient_atMostTwoLabelsAndEqualSizes() {
    for (long seed = 1; seed <= 10; seed++) {
      List<ClientShard> shards = new ShardPartitioner(2).partition(DATA, 10, RandomSource.seeded(seed));

      assertThat(PartitionFixtures.sizes(shards)).containsOnly(100);
      for (int[] counts : PartitionFixtures.classCounts(DATA, shards)) {
        assertThat(PartitionFixtures.distinctLabels(counts)).isBetween(1, 2);
        assertThat(Arrays.stream(counts).boxed().toList()).isSubsetOf(0, 50, 100); // whole shards only
      }
      PartitionFixtures.assertDisjointCover(shards, 1000);
    }
  }

  @Test
  void partition_twoShardsPerClient_mostClientsSeeExactlyTwoLabels() {
    int twoLabels = 0;
    for (long seed = 1; seed <= 10; seed++) {
      List<ClientShard> shards = new ShardPartitioner(2).partition(DATA, 10, RandomSource.seeded(seed));
      for (int[] counts : PartitionFixtures.classCounts(DATA, shards)) {
        twoLabels += PartitionFixtures.distinctLabels(counts) == 2 ? 1 : 0;
      }
    }
    // A client draws both halves of one class with probability 1/19, so about 95 of 100 see two labels.
    assertThat(twoLabels).isGreaterThan(80);
  }

  @Test
  void partition_oneShardPerClient_eachClientOneDistinctLabel() {
    List<ClientShard> shards = new ShardPartitioner(1).partition(DATA, 10, RandomSource.seeded(4));

    int[][] counts = PartitionFixtures.classCounts(DATA, shards);
    int[] labelOfClient = new int[10];
    for (int k = 0; k < 10; k++) {
      assertThat(PartitionFixtures.distinctLabels(counts[k])).isEqualTo(1);
      labelOfClient[k] = Arrays.stream(counts[k]).boxed().toList().indexOf(100);
    }
    assertThat(labelOfClient).containsExactlyInAnyOrder(0, 1, 2, 3, 4, 5, 6, 7, 8, 9);
  }

  @Test
  void partition_classSplitAcrossShards_rowsOfAClassInRandomOrder() {
    List<ClientShard> shards = new ShardPartitioner(2).partition(DATA, 10, RandomSource.seeded(6));

    // A half-class shard is a random half of that class, not its 50 lowest or highest row indices.
    boolean randomHalf = false;
    for (ClientShard shard : shards) {
      for (int label = 0; label < 10; label++) {
        final int y = label;
        int[] rows = Arrays.stream(shard.rows()).filter(r -> DATA.label(r) == y).toArray();
        if (rows.length == 50) {
          int rank = (rows[49] - y) / 10; // rank of the largest row within its class
          randomHalf |= rank != 49 && (rows[0] - y) / 10 != 50;
        }
      }
    }
    assertThat(randomHalf).isTrue();
  }

  @Test
  void partition_sizeNotDivisible_coversAllRowsAndSizesWithinK() {
    Dataset data = PartitionFixtures.balanced(1003, 10);
    List<ClientShard> shards = new ShardPartitioner(3).partition(data, 7, RandomSource.seeded(8));

    int[] sizes = PartitionFixtures.sizes(shards);
    assertThat(Arrays.stream(sizes).max().orElseThrow() - Arrays.stream(sizes).min().orElseThrow()).isLessThanOrEqualTo(3);
    PartitionFixtures.assertDisjointCover(shards, 1003);
    // Classes of about 100 rows, shards of about 48: a shard straddles at most one class boundary.
    for (int[] counts : PartitionFixtures.classCounts(data, shards)) {
      assertThat(PartitionFixtures.distinctLabels(counts)).isLessThanOrEqualTo(2 * 3);
    }
  }

  @Test
  void partition_moreShardsThanRows_throws() {
    Dataset data = PartitionFixtures.balanced(10, 2);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new ShardPartitioner(2).partition(data, 6, RandomSource.seeded(1)))
        .withMessage("numClients * shardsPerClient must be <= the dataset size 10 so that no shard is empty. "
            + "Provided value: 12");
  }

  @Test
  void constructor_zeroShards_throws() {
    assertThatIllegalArgumentException().isThrownBy(() -> new ShardPartitioner(0))
        .withMessage("shardsPerClient must be > 0. Provided value: 0");
  }

  @Test
  void describe_k_shardsSpec() {
    assertThat(new ShardPartitioner(2).describe()).isEqualTo("shards:2");
  }
}
