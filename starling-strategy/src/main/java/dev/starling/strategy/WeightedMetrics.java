package dev.starling.strategy;

import dev.starling.core.metrics.Metrics;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Weighted means of client metrics. Stateless. */
public final class WeightedMetrics {
  private WeightedMetrics() {}

  /**
   * The weighted mean of each metric name present in every entry of {@code metrics}; entries with weight
   * 0 are skipped. Returns empty metrics when the total weight is 0.
   */
  public static Metrics mean(List<Metrics> metrics, double[] weights) {
    if (metrics.size() != weights.length) {
      throw new IllegalArgumentException("weights.length must be metrics.size() = " + metrics.size() + ". Provided value: " + weights.length);
    }
    double total = 0;
    Map<String, Double> sums = new LinkedHashMap<>();
    boolean first = true;
    for (int i = 0; i < metrics.size(); i++) {
      if (weights[i] <= 0) {
        continue;
      }
      Map<String, Double> m = metrics.get(i).asMap();
      if (first) {
        m.keySet().forEach(k -> sums.put(k, 0.0));
        first = false;
      } else {
        sums.keySet().retainAll(m.keySet());
      }
      total += weights[i];
      for (Map.Entry<String, Double> e : sums.entrySet()) {
        e.setValue(e.getValue() + weights[i] * m.get(e.getKey()));
      }
    }
    if (total == 0) {
      return Metrics.empty();
    }
    Metrics.Builder b = Metrics.builder();
    for (Map.Entry<String, Double> e : sums.entrySet()) {
      b.put(e.getKey(), e.getValue() / total);
    }
    return b.build();
  }
}
