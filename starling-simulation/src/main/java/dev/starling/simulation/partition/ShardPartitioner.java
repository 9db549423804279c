package dev.starling.simulation.partition;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.ArrayList;
import java.util.List;

/**
 * The pathological non-IID split of McMahan, Moore, Ramage, Hampson and Agüera y Arcas,
 * <i>Communication-Efficient Learning of Deep Networks from Decentralized Data</i>, AISTATS 2017: sort
 * the rows by label, cut them into {@code numClients * shardsPerClient} shards of equal size and give
 * each client {@code shardsPerClient} shards chosen at random (MNIST: 200 shards of 300 rows, 2 per
 * client, so most clients see only two digits).
 *
 * <p>Rows are first shuffled and then stably sorted by label, so rows of one class are in a random
 * order and a shard that straddles two classes takes a random subset of each. Shard {@code s} holds the
 * sorted rows {@code [floor(s * n / S), floor((s + 1) * n / S))} for {@code S} shards over {@code n}
 * rows, so shard sizes differ by at most 1.
 *
 * <p>Guarantees: the shards are a disjoint cover of all rows; when {@code n} is divisible by {@code S}
 * every client has exactly {@code n / numClients} rows, else client sizes differ by at most {@code
 * shardsPerClient}. A client sees at most {@code shardsPerClient} labels when every class size is a
 * multiple of the (equal) shard size; at most {@code 2 * shardsPerClient} when every non-empty class has
 * at least as many rows as a shard (a shard can straddle one class boundary); a shard larger than a
 * class can span more labels. Requires {@code numClients * shardsPerClient <= data.size()} so that no shard,
 * and hence no client, is empty; otherwise {@link IllegalArgumentException}. Shard keys are the client
 * indices; rows within a client are in ascending order.
 *
 * <p>Immutable and thread-safe; deterministic for a given state of {@code rng}, which is advanced.
 * Spec: {@code shards:K}.
 *
 * @param shardsPerClient shards (hence at most that many labels, see above) per client; {@code >= 1}
 */
public record ShardPartitioner(int shardsPerClient) implements Partitioner {

  /** Validates {@code shardsPerClient}. */
  public ShardPartitioner {
    Checks.checkPositive(shardsPerClient, "shardsPerClient");
  }

  @Override
  public List<ClientShard> partition(Dataset data, int numClients, RandomSource rng) {
    PartitionSupport.checkClients(data, numClients);
    int n = data.size();
    long totalShards = (long) numClients * shardsPerClient;
    Checks.checkArgument(totalShards <= n, "numClients * shardsPerClient",
        "<= the dataset size " + n + " so that no shard is empty", totalShards);
    int numShards = (int) totalShards;

    // Shuffle, then a stable counting sort by label: ties end up in a random order.
    int[] shuffled = rng.permutation(n);
    int[] labels = data.labels();
    int[] start = new int[data.numClasses() + 1];
    for (int row : shuffled) {
      start[labels[row] + 1]++;
    }
    for (int c = 0; c < data.numClasses(); c++) {
      start[c + 1] += start[c];
    }
    int[] sorted = new int[n];
    for (int row : shuffled) {
      sorted[start[labels[row]]++] = row;
    }

    int[] shardOrder = rng.permutation(numShards);
    List<ClientShard> shards = new ArrayList<>(numClients);
    for (int client = 0; client < numClients; client++) {
      int size = 0;
      for (int k = 0; k < shardsPerClient; k++) {
        int s = shardOrder[client * shardsPerClient + k];
        size += shardEnd(s, n, numShards) - shardEnd(s - 1, n, numShards);
      }
      int[] rows = new int[size];
      int fill = 0;
      for (int k = 0; k < shardsPerClient; k++) {
        int s = shardOrder[client * shardsPerClient + k];
        int from = shardEnd(s - 1, n, numShards);
        int to = shardEnd(s, n, numShards);
        System.arraycopy(sorted, from, rows, fill, to - from);
        fill += to - from;
      }
      shards.add(PartitionSupport.shard(client, rows));
    }
    return List.copyOf(shards);
  }

  /** Exclusive end of shard {@code s} in the sorted order ({@code s = -1} gives 0). */
  private static int shardEnd(int s, int n, int numShards) {
    return (int) ((long) (s + 1) * n / numShards);
  }

  /** Returns {@code shards:K}, e.g. {@code shards:2}. */
  @Override
  public String describe() {
    return "shards:" + shardsPerClient;
  }
}
