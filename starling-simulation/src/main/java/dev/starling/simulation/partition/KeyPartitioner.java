package dev.starling.simulation.partition;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import dev.starling.data.Dataset;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The natural partition: one client per distinct value of the dataset's key column (a hospital, a
 * writer, a region), as in the LEAF benchmark of Caldas et al., <i>LEAF: A Benchmark for Federated
 * Settings</i>, 2018, and the cross-silo FLamby suite of Ogier du Terrail et al., NeurIPS 2022.
 *
 * <p>The dataset must carry per-row keys ({@link Dataset#keys()}) from a key column named {@code
 * column} ({@link Dataset#keyName()}); otherwise {@link IllegalArgumentException} says to load the CSV
 * with that key column. Every row needs a non-null key.
 *
 * <p>{@code numClients} is ignored: the number of clients is the number of distinct keys. The random
 * source is not used either, so the result depends on the dataset only. Clients are ordered by key
 * value in {@link String#compareTo} (lexicographic) order; {@link ClientShard#key()} is the key value;
 * rows within a shard are in ascending order. The shards are a disjoint cover of all rows, and every
 * client has at least one row by construction.
 *
 * <p>Immutable and thread-safe. Spec: {@code by:COLUMN}.
 *
 * @param column the key column name, non-blank
 */
public record KeyPartitioner(String column) implements Partitioner {

  /** Validates {@code column}. */
  public KeyPartitioner {
    Objects.requireNonNull(column, "column");
    Checks.checkArgument(!column.isBlank(), "column", "non-blank", "'" + column + "'");
  }

  @Override
  public List<ClientShard> partition(Dataset data, int numClients, RandomSource rng) {
    Objects.requireNonNull(data, "data");
    String[] keys = data.keys().orElse(null);
    String keyName = data.keyName().orElse(null);
    if (keys == null || !column.equals(keyName)) {
      String found = keys == null ? "has no key column" : "was loaded with key column '" + keyName + "'";
      throw new IllegalArgumentException("Partition spec '" + describe() + "' needs per-row keys from column '"
          + column + "', but dataset '" + data.name() + "' " + found + ". Load the CSV with '" + column
          + "' as its key column.");
    }
    // Two passes: count rows per key (sorted map), then fill each key's rows in ascending row order.
    Map<String, int[]> groups = new TreeMap<>();
    for (int row = 0; row < keys.length; row++) {
      if (keys[row] == null) {
        throw new IllegalArgumentException("Row " + row + " of dataset '" + data.name()
            + "' has no value in key column '" + column + "'; every row needs a key for '" + describe() + "'.");
      }
      groups.computeIfAbsent(keys[row], k -> new int[1])[0]++;
    }
    groups.replaceAll((key, count) -> new int[count[0]]);
    Map<String, Integer> fill = new HashMap<>();
    for (int row = 0; row < keys.length; row++) {
      int at = fill.merge(keys[row], 1, Integer::sum) - 1;
      groups.get(keys[row])[at] = row;
    }
    List<ClientShard> shards = new ArrayList<>(groups.size());
    groups.forEach((key, own) -> shards.add(new ClientShard(key, own)));
    return List.copyOf(shards);
  }

  /** Returns {@code by:COLUMN}, e.g. {@code by:hospital}. */
  @Override
  public String describe() {
    return "by:" + column;
  }
}
