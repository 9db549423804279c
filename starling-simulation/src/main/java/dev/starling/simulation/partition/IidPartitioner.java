package dev.starling.simulation.partition;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.List;

/**
 * The IID baseline: rows are shuffled and dealt into {@code numClients} near-equal shards, so every
 * client sees the global label distribution up to sampling noise. This is the "IID" setting of McMahan,
 * Moore, Ramage, Hampson and Agüera y Arcas, <i>Communication-Efficient Learning of Deep Networks from
 * Decentralized Data</i>, AISTATS 2017.
 *
 * <p>Guarantees: the shards are a disjoint cover of all rows; shard sizes differ by at most 1 (the
 * first {@code size % numClients} clients hold the extra row); every client gets at least one row.
 * {@code numClients} must be in {@code [1, data.size()]}, else {@link IllegalArgumentException}. Shard
 * keys are the client indices {@code "0", "1", ...}; rows within a shard are in ascending order.
 *
 * <p>Stateless and thread-safe; the result depends only on the dataset size and the state of {@code
 * rng}, which is advanced. Spec: {@code iid}.
 */
public record IidPartitioner() implements Partitioner {

  @Override
  public List<ClientShard> partition(Dataset data, int numClients, RandomSource rng) {
    PartitionSupport.checkClients(data, numClients);
    int[] order = rng.permutation(data.size());
    return PartitionSupport.cut(order, PartitionSupport.equalSizes(order.length, numClients));
  }

  /** Returns {@code iid}. */
  @Override
  public String describe() {
    return "iid";
  }
}
