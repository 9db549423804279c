package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** Properties every partitioner must have, checked for each spec form. */
class PartitionerContractTest {
  private static final int ROWS = 1000;
  private static final int CLIENTS = 10;

  /** 1000 rows, 10 equal classes, 13 sites as keys. */
  private static Dataset data() {
    String[] keys = new String[ROWS];
    for (int i = 0; i < ROWS; i++) {
      keys[i] = "site-" + (i * 7 % 13);
    }
    return PartitionFixtures.keyed(10, "site", keys);
  }

  private static List<ClientShard> run(String spec, long seed) {
    return Partitioners.parse(spec).partition(data(), CLIENTS, RandomSource.seeded(seed));
  }

  @ParameterizedTest
  @ValueSource(strings = {"iid", "dirichlet:0.1", "dirichlet:100", "shards:2", "quantity:1", "by:site"})
  void partition_anySpec_disjointCoverOfAllRows(String spec) {
    PartitionFixtures.assertDisjointCover(run(spec, 1), ROWS);
  }

  @ParameterizedTest
  @ValueSource(strings = {"iid", "dirichlet:0.1", "dirichlet:100", "shards:2", "quantity:1", "by:site"})
  void partition_anySpec_noEmptyClientAndAscendingRows(String spec) {
    for (ClientShard shard : run(spec, 2)) {
      assertThat(shard.rows()).as("client %s", shard.key()).isNotEmpty().isSorted();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"iid", "dirichlet:0.1", "dirichlet:100", "shards:2", "quantity:1"})
  void partition_syntheticSpec_clientCountAndIndexKeys(String spec) {
    List<ClientShard> shards = run(spec, 3);
    assertThat(shards).extracting(ClientShard::key).containsExactly("0", "1", "2", "3", "4", "5", "6", "7", "8", "9");
  }

  @ParameterizedTest
  @ValueSource(strings = {"iid", "dirichlet:0.1", "dirichlet:100", "shards:2", "quantity:1", "by:site"})
  void partition_sameSeed_identicalShards(String spec) {
    List<ClientShard> a = run(spec, 42);
    List<ClientShard> b = run(spec, 42);
    assertThat(b).hasSameSizeAs(a);
    for (int k = 0; k < a.size(); k++) {
      assertThat(b.get(k).key()).isEqualTo(a.get(k).key());
      assertThat(b.get(k).rows()).containsExactly(a.get(k).rows());
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"iid", "dirichlet:0.1", "dirichlet:100", "shards:2", "quantity:1"})
  void partition_differentSeed_differentShards(String spec) {
    List<ClientShard> a = run(spec, 42);
    List<ClientShard> b = run(spec, 43);
    boolean differs = false;
    for (int k = 0; k < a.size(); k++) {
      differs |= !Arrays.equals(a.get(k).rows(), b.get(k).rows());
    }
    assertThat(differs).as("some client's rows differ between seeds 42 and 43").isTrue();
  }

  @ParameterizedTest
  @ValueSource(strings = {"iid", "dirichlet:0.1", "shards:2", "quantity:1"})
  void partition_tooManyClients_throwsNamingNumClients(String spec) {
    Partitioner p = Partitioners.parse(spec);
    assertThatIllegalArgumentException()
        .isThrownBy(() -> p.partition(data(), ROWS + 1, RandomSource.seeded(1)))
        .withMessageContaining("numClients");
  }
}
