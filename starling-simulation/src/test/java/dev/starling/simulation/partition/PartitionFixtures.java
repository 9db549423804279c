package dev.starling.simulation.partition;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.data.Dataset;
import java.util.Arrays;
import java.util.List;

/** Synthetic datasets and partition statistics shared by the partitioner tests. */
final class PartitionFixtures {
  private PartitionFixtures() {}

  /** {@code rows} rows, one feature (the row index), labels {@code row % classes}: equal class sizes. */
  static Dataset balanced(int rows, int classes) {
    int[] labels = new int[rows];
    float[] x = new float[rows];
    for (int i = 0; i < rows; i++) {
      labels[i] = i % classes;
      x[i] = i;
    }
    return Dataset.builder().name("synthetic").features(x).labels(labels).numFeatures(1).numClasses(classes).build();
  }

  /** Like {@link #balanced} with per-row keys from {@code column}. */
  static Dataset keyed(int classes, String column, String[] keys) {
    Dataset d = balanced(keys.length, classes);
    return Dataset.builder().name("keyed").features(d.features()).labels(d.labels()).numFeatures(1)
        .numClasses(classes).keys(column, keys).build();
  }

  /** Asserts that the shards' rows are pairwise disjoint and together are exactly {@code 0..n-1}. */
  static void assertDisjointCover(List<ClientShard> shards, int n) {
    int[] all = shards.stream().flatMapToInt(s -> Arrays.stream(s.rows())).sorted().toArray();
    int[] expected = new int[n];
    Arrays.setAll(expected, i -> i);
    assertThat(all).as("rows of all shards, sorted").containsExactly(expected);
  }

  static int[] sizes(List<ClientShard> shards) {
    return shards.stream().mapToInt(ClientShard::size).toArray();
  }

  /** Per-client class counts. */
  static int[][] classCounts(Dataset data, List<ClientShard> shards) {
    int[][] counts = new int[shards.size()][data.numClasses()];
    for (int k = 0; k < shards.size(); k++) {
      for (int row : shards.get(k).rows()) {
        counts[k][data.label(row)]++;
      }
    }
    return counts;
  }

  static int distinctLabels(int[] counts) {
    return (int) Arrays.stream(counts).filter(c -> c > 0).count();
  }

  /** Total-variation distance between a client's label distribution and the global one. */
  static double totalVariation(int[] counts, Dataset data) {
    int[] global = data.classCounts();
    int n = Arrays.stream(counts).sum();
    double tv = 0;
    for (int c = 0; c < counts.length; c++) {
      tv += Math.abs((double) counts[c] / n - (double) global[c] / data.size());
    }
    return tv / 2;
  }

  static double meanTotalVariation(Dataset data, List<ClientShard> shards) {
    return Arrays.stream(classCounts(data, shards)).mapToDouble(c -> totalVariation(c, data)).average().orElseThrow();
  }

  /**
   * Pearson's chi-square statistic of the client-by-class table against independence with the global
   * label distribution; for an IID split it is about {@code (clients - 1) * (classes - 1)}.
   */
  static double chiSquare(Dataset data, List<ClientShard> shards) {
    int[] global = data.classCounts();
    double stat = 0;
    for (int[] counts : classCounts(data, shards)) {
      int n = Arrays.stream(counts).sum();
      for (int c = 0; c < counts.length; c++) {
        double expected = (double) n * global[c] / data.size();
        stat += (counts[c] - expected) * (counts[c] - expected) / expected;
      }
    }
    return stat;
  }

  /** The fewest classes that together hold at least {@code fraction} of a client's rows. */
  static int classesHolding(int[] counts, double fraction) {
    int[] sorted = Arrays.stream(counts).sorted().toArray();
    int n = Arrays.stream(counts).sum();
    int held = 0;
    for (int i = sorted.length - 1; i >= 0; i--) {
      held += sorted[i];
      if (held >= fraction * n) {
        return sorted.length - i;
      }
    }
    return sorted.length;
  }

  /** Coefficient of variation (population standard deviation over mean). */
  static double coefficientOfVariation(int[] values) {
    double mean = Arrays.stream(values).average().orElseThrow();
    double var = Arrays.stream(values).mapToDouble(v -> (v - mean) * (v - mean)).average().orElseThrow();
    return Math.sqrt(var) / mean;
  }
}
