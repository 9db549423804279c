package dev.starling.simulation.partition;

import java.util.Objects;

/**
 * The rows of a dataset given to one simulated client.
 *
 * @param key a label for the shard: the key value for natural partitions, else the client index
 * @param rows row indices into the partitioned dataset (the array is owned by the shard; do not mutate)
 */
public record ClientShard(String key, int[] rows) {
  public ClientShard {
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(rows, "rows");
  }

  public int size() {
    return rows.length;
  }
}
