package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;

class KeyPartitionerTest {
  private static final String[] STATES = {"TX", "CA", "NY", "CA", "AK", "TX", "CA", "NY", "TX", "TX"};

  @Test
  void partition_keyedData_oneClientPerKeySortedWithExactRows() {
    Dataset data = PartitionFixtures.keyed(2, "state", STATES);
    List<ClientShard> shards = new KeyPartitioner("state").partition(data, 3, RandomSource.seeded(1));

    assertThat(shards).extracting(ClientShard::key).containsExactly("AK", "CA", "NY", "TX");
    assertThat(shards.get(0).rows()).containsExactly(4);
    assertThat(shards.get(1).rows()).containsExactly(1, 3, 6);
    assertThat(shards.get(2).rows()).containsExactly(2, 7);
    assertThat(shards.get(3).rows()).containsExactly(0, 5, 8, 9);
  }

  @Test
  void partition_manyKeys_groupsMatchKeysExactly() {
    String[] keys = IntStream.range(0, 1000).mapToObj(i -> "h" + (i * 31 % 17)).toArray(String[]::new);
    Dataset data = PartitionFixtures.keyed(10, "hospital", keys);
    List<ClientShard> shards = new KeyPartitioner("hospital").partition(data, 10, RandomSource.seeded(1));

    Map<String, List<Integer>> expected = new TreeMap<>();
    for (int row = 0; row < keys.length; row++) {
      expected.computeIfAbsent(keys[row], k -> new ArrayList<>()).add(row);
    }
    assertThat(shards).hasSize(17);
    assertThat(shards).extracting(ClientShard::key).containsExactlyElementsOf(expected.keySet()).isSorted();
    for (ClientShard shard : shards) {
      assertThat(shard.rows()).containsExactly(expected.get(shard.key()).stream().mapToInt(Integer::intValue).toArray());
    }
    PartitionFixtures.assertDisjointCover(shards, 1000);
  }

  @Test
  void partition_numClientsAndSeed_ignored() {
    Dataset data = PartitionFixtures.keyed(2, "state", STATES);
    KeyPartitioner byState = new KeyPartitioner("state");
    List<ClientShard> a = byState.partition(data, 1, RandomSource.seeded(1));
    List<ClientShard> b = byState.partition(data, 500, RandomSource.seeded(2));

    assertThat(b).hasSameSizeAs(a);
    for (int k = 0; k < a.size(); k++) {
      assertThat(b.get(k).key()).isEqualTo(a.get(k).key());
      assertThat(b.get(k).rows()).containsExactly(a.get(k).rows());
    }
  }

  @Test
  void partition_datasetWithoutKeys_throwsSayingLoadWithKeyColumn() {
    Dataset data = PartitionFixtures.balanced(10, 2);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new KeyPartitioner("state").partition(data, 3, RandomSource.seeded(1)))
        .withMessageContaining("'by:state'")
        .withMessageContaining("has no key column")
        .withMessageContaining("Load the CSV with 'state' as its key column");
  }

  @Test
  void partition_otherKeyColumn_throwsNamingBothColumns() {
    Dataset data = PartitionFixtures.keyed(2, "region", STATES);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new KeyPartitioner("state").partition(data, 3, RandomSource.seeded(1)))
        .withMessageContaining("loaded with key column 'region'")
        .withMessageContaining("Load the CSV with 'state' as its key column");
  }

  @Test
  void partition_nullKey_throwsNamingRow() {
    String[] keys = STATES.clone();
    keys[6] = null;
    Dataset data = PartitionFixtures.keyed(2, "state", keys);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> new KeyPartitioner("state").partition(data, 3, RandomSource.seeded(1)))
        .withMessageContaining("Row 6");
  }

  @Test
  void constructor_blankColumn_throws() {
    assertThatIllegalArgumentException().isThrownBy(() -> new KeyPartitioner(" "))
        .withMessage("column must be non-blank. Provided value: ' '");
  }

  @Test
  void describe_column_bySpec() {
    assertThat(new KeyPartitioner("hospital").describe()).isEqualTo("by:hospital");
  }
}
