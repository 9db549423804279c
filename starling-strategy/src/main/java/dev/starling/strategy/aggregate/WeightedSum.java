package dev.starling.strategy.aggregate;

import dev.starling.core.error.Checks;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * A running weighted sum of parameter sets in O(model size) memory: {@code sum += w * p} per update,
 * then {@link #mean()} = sum / total weight. Folding in the same order gives bit-identical results.
 * Not thread-safe.
 */
public final class WeightedSum {
  private final ParameterSet template;
  private final float[][] sums;
  private double totalWeight;
  private int count;

  /** An empty sum shaped like {@code template} (whose values are not read). */
  public WeightedSum(ParameterSet template) {
    this.template = template;
    this.sums = new float[template.count()][];
    List<Tensor> ts = template.tensors();
    for (int i = 0; i < sums.length; i++) {
      sums[i] = new float[ts.get(i).size()];
    }
  }

  /** Adds {@code weight * p}; {@code p} must have the template's spec (checked by the caller). */
  public void add(ParameterSet p, double weight) {
    Checks.checkArgument(weight >= 0 && Double.isFinite(weight), "weight", ">= 0 and finite", weight);
    float w = (float) weight;
    List<Tensor> ts = p.tensors();
    for (int i = 0; i < sums.length; i++) {
      axpy(w, ts.get(i).data(), sums[i]);
    }
    totalWeight += weight;
    count++;
  }

  /** Number of parameter sets added. */
  public int count() {
    return count;
  }

  public double totalWeight() {
    return totalWeight;
  }

  /** The weighted mean as a new parameter set; requires a positive total weight. */
  public ParameterSet mean() {
    Checks.checkState(totalWeight > 0, "mean() needs a positive total weight; got " + totalWeight + " from " + count + " updates");
    float inv = (float) (1.0 / totalWeight);
    List<Tensor> out = new ArrayList<>(sums.length);
    List<Tensor> ts = template.tensors();
    for (int i = 0; i < sums.length; i++) {
      float[] s = sums[i];
      float[] m = new float[s.length];
      for (int j = 0; j < s.length; j++) {
        m[j] = s[j] * inv;
      }
      out.add(Tensor.of(ts.get(i).name(), m, ts.get(i).shape()));
    }
    return ParameterSet.of(out);
  }

  private static void axpy(float a, float[] x, float[] y) {
    for (int j = 0; j < y.length; j++) {
      y[j] += a * x[j];
    }
  }
}
