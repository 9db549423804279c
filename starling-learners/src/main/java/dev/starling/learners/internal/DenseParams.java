package dev.starling.learners.internal;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.learners.ModelSpec;
import java.util.Arrays;

/**
 * Working copy of a dense network's parameters (or of a gradient or optimiser state with the same
 * shapes) as one primitive array per weight row: {@code w[l][i]} is row {@code i} of layer {@code l}'s
 * {@code [in, out]} weight matrix, {@code b[l]} its bias.
 *
 * <p>Separate row arrays let every inner loop index its arrays at the same offset, the form C2's
 * superword pass can vectorise without proving that two arrays do not alias. Not thread-safe.
 */
public final class DenseParams {
  final int[] sizes;
  final float[][][] w;
  final float[][] b;

  private DenseParams(int[] sizes) {
    this.sizes = sizes.clone();
    int layers = sizes.length - 1;
    this.w = new float[layers][][];
    this.b = new float[layers][];
    for (int l = 0; l < layers; l++) {
      w[l] = new float[sizes[l]][sizes[l + 1]];
      b[l] = new float[sizes[l + 1]];
    }
  }

  /** Zeros for level sizes {@code [in, h1, ..., classes]}. */
  public static DenseParams zeros(int[] sizes) {
    return new DenseParams(sizes);
  }

  /** A working copy of {@code p}, which must fit {@code spec} with these sizes (callers check). */
  public static DenseParams copyOf(ModelSpec spec, int[] sizes, ParameterSet p) {
    DenseParams d = new DenseParams(sizes);
    d.load(spec, p);
    return d;
  }

  /** Overwrites these values with those of {@code p}. */
  public void load(ModelSpec spec, ParameterSet p) {
    for (int l = 0; l < w.length; l++) {
      float[] flat = p.get(ModelSpec.weightName(l)).data();
      int out = sizes[l + 1];
      for (int i = 0; i < sizes[l]; i++) {
        System.arraycopy(flat, i * out, w[l][i], 0, out);
      }
      System.arraycopy(p.get(ModelSpec.biasName(l)).data(), 0, b[l], 0, out);
    }
  }

  /** Writes these values into the (flat, row-major) tensors of {@code p}. */
  public void storeInto(ModelSpec spec, ParameterSet p) {
    for (int l = 0; l < w.length; l++) {
      float[] flat = p.get(ModelSpec.weightName(l)).data();
      int out = sizes[l + 1];
      for (int i = 0; i < sizes[l]; i++) {
        System.arraycopy(w[l][i], 0, flat, i * out, out);
      }
      System.arraycopy(b[l], 0, p.get(ModelSpec.biasName(l)).data(), 0, out);
    }
  }

  /** Sets every value to zero. */
  public void clear() {
    for (int l = 0; l < w.length; l++) {
      for (float[] row : w[l]) {
        Arrays.fill(row, 0f);
      }
      Arrays.fill(b[l], 0f);
    }
  }

  /** Number of dense layers. */
  public int numLayers() {
    return w.length;
  }
}
