package example.partitioner;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.random.RandomSource;
import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.simulation.partition.ClientShard;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class LabelBlocksTest {
  @Test
  void partition_givesEveryRowToOneClient_andEachClientAtMostFourClasses() throws IOException {
    Dataset train = DatasetCatalog.resolve("digits", CatalogOptions.defaults()).train();
    List<ClientShard> shards = new LabelBlocks(2).partition(train, 10, RandomSource.seeded(5));

    int[] all = shards.stream().flatMapToInt(s -> Arrays.stream(s.rows())).sorted().toArray();
    assertThat(all).hasSize(train.size()).doesNotHaveDuplicates();
    // two label-sorted blocks of ~1/20 of the rows each: at most two classes per block
    assertThat(shards).allSatisfy(s ->
        assertThat(Arrays.stream(s.rows()).map(train::label).distinct().count()).isBetween(1L, 4L));
  }

  @Test
  void federatedTraining_onLabelSkewedClients_stillLearnsAllTenDigits() throws IOException {
    // every client sees ~2 of 10 digits, so no single client can exceed ~20% accuracy on its own
    assertThat(Main.run(30, 1)).isGreaterThan(0.80);
  }
}
