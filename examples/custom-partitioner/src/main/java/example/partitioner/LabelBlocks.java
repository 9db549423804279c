package example.partitioner;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import dev.starling.simulation.partition.ClientShard;
import dev.starling.simulation.partition.Partitioner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.stream.IntStream;

/**
 * A pathological non-IID split (McMahan et al. 2017): the rows are shuffled, sorted by label and cut into
 * {@code numClients * blocksPerClient} equal blocks; every client gets {@code blocksPerClient} random blocks,
 * so it sees only a couple of classes.
 */
public record LabelBlocks(int blocksPerClient) implements Partitioner {
  public LabelBlocks {
    if (blocksPerClient < 1) {
      throw new IllegalArgumentException("blocksPerClient must be >= 1, got " + blocksPerClient);
    }
  }

  @Override
  public List<ClientShard> partition(Dataset data, int numClients, RandomSource rng) {
    int[] shuffled = rng.permutation(data.size());
    Integer[] rows = Arrays.stream(shuffled).boxed().sorted(Comparator.comparingInt(data::label)).toArray(Integer[]::new);
    int blocks = numClients * blocksPerClient;
    int[] blockOrder = rng.permutation(blocks);
    List<ClientShard> shards = new ArrayList<>(numClients);
    for (int c = 0; c < numClients; c++) {
      IntStream.Builder mine = IntStream.builder();
      for (int b = c * blocksPerClient; b < (c + 1) * blocksPerClient; b++) {
        int block = blockOrder[b];
        for (int r = (int) ((long) block * rows.length / blocks); r < (int) ((long) (block + 1) * rows.length / blocks); r++) {
          mine.add(rows[r]);
        }
      }
      shards.add(new ClientShard(Integer.toString(c), mine.build().toArray()));
    }
    return shards;
  }

  @Override
  public String describe() {
    return "label-blocks:" + blocksPerClient;
  }
}
