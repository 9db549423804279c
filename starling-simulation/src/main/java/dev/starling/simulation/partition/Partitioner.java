package dev.starling.simulation.partition;

import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.List;

/**
 * Splits a dataset's rows among simulated clients. Implementations are stateless and deterministic
 * for a given {@link RandomSource}; every row goes to at most one client.
 */
public interface Partitioner {
  /**
   * Returns one shard per client, in client order. {@code numClients} is ignored by natural
   * partitions, which make one client per distinct key value.
   */
  List<ClientShard> partition(Dataset data, int numClients, RandomSource rng);

  /** The spec string this partitioner parses from, e.g. {@code dirichlet:0.5}. */
  String describe();
}
