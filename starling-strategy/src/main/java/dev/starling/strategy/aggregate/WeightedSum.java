package dev.starling.strategy.aggregate;

import dev.starling.core.error.Checks;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.kernel.WeightedFold;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A running weighted sum of parameter sets in O(model size) memory: {@code sum += w * p} per update,
 * then {@link #mean()} = sum / total weight. Folding in the same order gives bit-identical results.
 *
 * <p>Up to {@code fused} updates are held (by reference: a tensor handed over is not mutated afterwards)
 * and folded together by {@link WeightedFold}, which gives every coordinate exactly the float
 * operations of folding them one by one but reads and writes the sum once per group instead of once per
 * update, on all cores. Memory stays O(model size): the sum plus at most {@code fused - 1} pending
 * references. Not thread-safe.
 */
public final class WeightedSum {
  private final ParameterSet template;
  private final float[][] sums;
  private final float[][][] pending;
  private final float[] pendingWeights;
  private int pendingCount;
  private double totalWeight;
  private int count;
  private boolean consumed;

  /** Bytes of pending update references {@link #WeightedSum(ParameterSet)} allows: 256 MiB. */
  public static final long PENDING_BUDGET_BYTES = 256L << 20;

  /**
   * An empty sum shaped like {@code template} (whose values are not read), folding up to 4 updates at a
   * time, fewer for large models so that pending references stay within {@link #PENDING_BUDGET_BYTES}
   * (a 512 MB model folds each update at once: a server streaming huge updates holds no extra copies).
   */
  public WeightedSum(ParameterSet template) {
    this(template, fusedFor(template.sizeBytes()));
  }

  /** The fusion width for a model of {@code modelBytes}: the largest f <= 4 with (f - 1) models within budget. */
  static int fusedFor(long modelBytes) {
    int f = 4;
    while (f > 1 && (f - 1) * modelBytes > PENDING_BUDGET_BYTES) {
      f--;
    }
    return f;
  }

  /**
   * An empty sum shaped like {@code template} that folds {@code fused} updates per pass (1 to
   * {@link WeightedFold#MAX_FUSED}; 1 folds each update as soon as it is added).
   */
  public WeightedSum(ParameterSet template, int fused) {
    Checks.checkArgument(fused >= 1 && fused <= WeightedFold.MAX_FUSED, "fused", "in [1, " + WeightedFold.MAX_FUSED + "]", fused);
    this.template = template;
    this.pending = new float[template.count()][fused][];
    this.pendingWeights = new float[fused];
    this.sums = new float[template.count()][];
    List<Tensor> ts = template.tensors();
    for (int i = 0; i < sums.length; i++) {
      sums[i] = new float[ts.get(i).size()];
    }
  }

  /** Adds {@code weight * p}; {@code p} must have the template's spec (checked by the caller). */
  public void add(ParameterSet p, double weight) {
    Checks.checkState(!consumed, "add() after mean(): a WeightedSum serves one aggregation");
    Checks.checkArgument(weight >= 0 && Double.isFinite(weight), "weight", ">= 0 and finite", weight);
    List<Tensor> ts = p.tensors();
    for (int i = 0; i < sums.length; i++) {
      pending[i][pendingCount] = ts.get(i).data();
    }
    pendingWeights[pendingCount++] = (float) weight;
    totalWeight += weight;
    count++;
    if (pendingCount == pendingWeights.length) {
      flush();
    }
  }

  private void flush() {
    for (int i = 0; i < sums.length; i++) {
      WeightedFold.fold(sums[i], pending[i], pendingWeights, pendingCount);
      Arrays.fill(pending[i], null);
    }
    pendingCount = 0;
  }

  /** Number of parameter sets added. */
  public int count() {
    return count;
  }

  public double totalWeight() {
    return totalWeight;
  }

  /**
   * The weighted mean; requires a positive total weight. Consumes the sum: the running sum's buffers are
   * scaled in place and become the returned tensors (saving a model-sized allocation and pass), so
   * {@code add} and {@code mean} throw afterwards.
   */
  public ParameterSet mean() {
    Checks.checkState(!consumed, "mean() was already taken from this WeightedSum; it serves one aggregation");
    Checks.checkState(totalWeight > 0, "mean() needs a positive total weight; got " + totalWeight + " from " + count + " updates");
    flush();
    consumed = true;
    float inv = (float) (1.0 / totalWeight);
    List<Tensor> out = new ArrayList<>(sums.length);
    List<Tensor> ts = template.tensors();
    for (int i = 0; i < sums.length; i++) {
      float[] s = sums[i];
      WeightedFold.scale(s, inv, s);
      out.add(Tensor.of(ts.get(i).name(), s, ts.get(i).shape()));
    }
    return ParameterSet.of(out);
  }
}
