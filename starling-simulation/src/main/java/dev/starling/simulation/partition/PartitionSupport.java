package dev.starling.simulation.partition;

import dev.starling.core.error.Checks;
import dev.starling.data.Dataset;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/** Shared arithmetic for the partitioners: argument checks, size splits and shard assembly. */
final class PartitionSupport {
  private PartitionSupport() {}

  /**
   * Checks that {@code numClients} is positive and at most the dataset size, so that every client can
   * get at least one row.
   */
  static void checkClients(Dataset data, int numClients) {
    Objects.requireNonNull(data, "data");
    Checks.checkPositive(numClients, "numClients");
    Checks.checkArgument(numClients <= data.size(), "numClients",
        "<= the dataset size " + data.size() + " so that every client gets at least one row", numClients);
  }

  /** Sizes of {@code parts} near-equal parts of {@code total}: they differ by at most 1, larger first. */
  static int[] equalSizes(int total, int parts) {
    int[] sizes = new int[parts];
    int base = total / parts;
    int extra = total % parts;
    for (int i = 0; i < parts; i++) {
      sizes[i] = base + (i < extra ? 1 : 0);
    }
    return sizes;
  }

  /**
   * Splits {@code total} items by {@code weights} with cumulative rounding: part {@code j} gets
   * {@code round(total * W_j) - round(total * W_(j-1))} where {@code W_j} is the normalised cumulative
   * weight, so the parts always sum to {@code total} exactly. Weights must be non-negative and finite
   * with a positive sum.
   */
  static int[] proportionalSizes(int total, double[] weights) {
    double sum = 0;
    for (double w : weights) {
      sum += w;
    }
    int[] sizes = new int[weights.length];
    double cumulative = 0;
    int previous = 0;
    for (int j = 0; j < weights.length; j++) {
      cumulative += weights[j];
      int boundary = j == weights.length - 1 ? total : (int) Math.min(total, Math.round(total * (cumulative / sum)));
      boundary = Math.max(boundary, previous);
      sizes[j] = boundary - previous;
      previous = boundary;
    }
    return sizes;
  }

  /**
   * Cuts {@code order} into consecutive runs of {@code sizes}; shard {@code i} is keyed by its index and
   * holds its rows in ascending order.
   */
  static List<ClientShard> cut(int[] order, int[] sizes) {
    List<ClientShard> shards = new ArrayList<>(sizes.length);
    int start = 0;
    for (int i = 0; i < sizes.length; i++) {
      shards.add(shard(i, Arrays.copyOfRange(order, start, start + sizes[i])));
      start += sizes[i];
    }
    return List.copyOf(shards);
  }

  /** A shard keyed by the client index; sorts {@code rows} in place. */
  static ClientShard shard(int client, int[] rows) {
    Arrays.sort(rows);
    return new ClientShard(Integer.toString(client), rows);
  }

  /** Row indices grouped by label: {@code result[c]} lists the rows of class {@code c} in ascending order. */
  static int[][] rowsByClass(Dataset data) {
    int[] counts = data.classCounts();
    int[][] byClass = new int[counts.length][];
    for (int c = 0; c < counts.length; c++) {
      byClass[c] = new int[counts[c]];
    }
    int[] fill = new int[counts.length];
    int[] labels = data.labels();
    for (int row = 0; row < labels.length; row++) {
      int c = labels[row];
      byClass[c][fill[c]++] = row;
    }
    return byClass;
  }

  /** The shortest plain decimal that parses back to {@code x}, e.g. {@code 0.5}, {@code 100}. */
  static String format(double x) {
    return BigDecimal.valueOf(x).stripTrailingZeros().toPlainString();
  }
}
