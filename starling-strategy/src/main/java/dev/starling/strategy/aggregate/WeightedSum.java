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
 *
 * <p>Range: finite inputs never overflow the float32 sum. The sum keeps a power-of-two scale
 * {@code 2^e} (true sum = {@code scale * sums}) and an upper bound {@code sum_k w_k max|p_k|} computed in
 * double from each update's {@link ParameterSet#maxAbs()} (cached by validation, so free on the hot
 * path). While the bound stays below {@link #SCALE_LIMIT} the scale is 1 and every float operation is
 * exactly the unscaled one (bit-identical to folding {@code w * p} directly); once an update would push
 * it past, the pending updates are folded, the sum is divided by a power of two (exact, apart from values
 * far below the sum's magnitude that underflow) and later weights are divided by the scale, so e.g. two
 * clients sending {@code 3e38} average to {@code 3e38}, not {@code +Inf}.
 */
public final class WeightedSum {
  private final ParameterSet template;
  private final float[][] sums;
  private final float[][][] pending;
  private final float[] pendingWeights;
  private int pendingCount;
  private double totalWeight;
  /** Upper bound on {@code |true sum|} in every coordinate: sum of (float) w_k * max|p_k|. */
  private double bound;
  /** The true sum is {@code scale * sums}; a power of two, 1 until the bound needs more range. */
  private double scale = 1.0;
  private int count;
  private boolean consumed;

  /**
   * The largest bound on {@code |sum / scale|} the float sum is let reach: {@code 2^120}, 256 times below
   * {@code Float.MAX_VALUE}, a margin for the rounding of weights and of the running float sum.
   */
  public static final double SCALE_LIMIT = 0x1p120;

  /** The largest weight {@link #add} accepts: {@code 2^53}, integers are exact up to it. */
  public static final double MAX_WEIGHT = 0x1p53;

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

  /**
   * Adds {@code weight * p}; {@code p} must have the template's spec (checked by the caller) and finite
   * values ({@link dev.starling.strategy.UpdateValidator}); {@code weight} is in {@code [0, }{@link #MAX_WEIGHT}{@code ]}.
   */
  public void add(ParameterSet p, double weight) {
    Checks.checkState(!consumed, "add() after mean(): a WeightedSum serves one aggregation");
    Checks.checkArgument(weight >= 0 && weight <= MAX_WEIGHT, "weight", "in [0, 2^53]", weight);
    float max = p.maxAbs();
    Checks.checkArgument(max <= Float.MAX_VALUE, "largest |value| of the update", "finite (validate updates first)", max);
    float w = (float) weight;
    bound += (double) w * max;
    if (bound > SCALE_LIMIT * scale) {
      rescale();
    }
    List<Tensor> ts = p.tensors();
    for (int i = 0; i < sums.length; i++) {
      pending[i][pendingCount] = ts.get(i).data();
    }
    pendingWeights[pendingCount++] = scale == 1.0 ? w : (float) (weight / scale);
    totalWeight += weight;
    count++;
    if (pendingCount == pendingWeights.length) {
      flush();
    }
  }

  /** Folds what is pending at the old scale, then divides the sum by the power of two that brings the bound in range. */
  private void rescale() {
    flush();
    int e = Math.getExponent(bound / (SCALE_LIMIT * scale)) + 1;
    float factor = Math.scalb(1f, -e);
    for (float[] s : sums) {
      WeightedFold.scale(s, factor, s);
    }
    scale = Math.scalb(scale, e);
  }

  /** The power of two the float sum is stored divided by (1 unless finite but huge updates needed more range). */
  public double scale() {
    return scale;
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
    float inv = (float) (scale / totalWeight);
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
