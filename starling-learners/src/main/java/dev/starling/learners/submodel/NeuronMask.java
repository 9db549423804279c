package dev.starling.learners.submodel;

import dev.starling.core.error.Checks;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.learners.ModelSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Which hidden neurons of an MLP a client keeps: the sub-model of Federated Dropout (Caldas et al.,
 * "Expanding the Reach of Federated Learning by Reducing Client Resource Requirements", 2018). Input
 * features and output classes are always kept. A weight {@code layer<l>.weight[a, b]} is trained when
 * its input unit {@code a} and output unit {@code b} are both kept; a bias when its unit is kept.
 *
 * <p>The sub-model is a smaller dense MLP ({@code mlp:|S1|,|S2|,...}) holding exactly the kept
 * parameters: {@link #extract} gathers them from the full model, {@link #scatter} writes trained ones
 * back. Immutable.
 */
public final class NeuronMask {
  private final ModelSpec spec;
  private final int[] sizes;
  private final boolean[][] keep; // per hidden layer

  /**
   * A mask for {@code spec} with levels {@code sizes = spec.layerSizes(features, classes)}; {@code keep[l]}
   * says which units of hidden layer {@code l} stay. Each hidden layer must keep at least one unit.
   */
  public NeuronMask(ModelSpec spec, int[] sizes, boolean[][] keep) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.sizes = sizes.clone();
    Checks.checkArgument(keep.length == sizes.length - 2, "keep.length", "the number of hidden layers " + (sizes.length - 2),
        keep.length);
    this.keep = new boolean[keep.length][];
    for (int l = 0; l < keep.length; l++) {
      Checks.checkArgument(keep[l].length == sizes[l + 1], "keep[" + l + "].length", "the layer width " + sizes[l + 1],
          keep[l].length);
      int kept = count(keep[l]);
      Checks.checkArgument(kept > 0, "kept units of hidden layer " + l, ">= 1", kept);
      this.keep[l] = keep[l].clone();
    }
  }

  /** The full model with every neuron kept. */
  public static NeuronMask all(ModelSpec spec, int[] sizes) {
    boolean[][] k = new boolean[sizes.length - 2][];
    for (int l = 0; l < k.length; l++) {
      k[l] = new boolean[sizes[l + 1]];
      Arrays.fill(k[l], true);
    }
    return new NeuronMask(spec, sizes, k);
  }

  private static int count(boolean[] b) {
    int n = 0;
    for (boolean v : b) {
      if (v) {
        n++;
      }
    }
    return n;
  }

  /** Whether unit {@code unit} of level {@code level} (0 = inputs, last = outputs) is kept. */
  public boolean kept(int level, int unit) {
    return level == 0 || level == sizes.length - 1 || keep[level - 1][unit];
  }

  /** Kept units of hidden layer {@code l} (a copy). */
  public boolean[] hidden(int l) {
    return keep[l].clone();
  }

  /** The sub-model's spec: {@code mlp} with the kept widths ({@code logreg} has no hidden layer). */
  public ModelSpec subSpec() {
    if (keep.length == 0) {
      return spec;
    }
    int[] widths = new int[keep.length];
    for (int l = 0; l < keep.length; l++) {
      widths[l] = count(keep[l]);
    }
    return ModelSpec.mlp(widths);
  }

  /** Kept units per level, {@code [features, |S1|, ..., classes]}. */
  public int[] subSizes() {
    int[] s = sizes.clone();
    for (int l = 0; l < keep.length; l++) {
      s[l + 1] = count(keep[l]);
    }
    return s;
  }

  private int[] keptUnits(int level) {
    int[] out = new int[level == 0 || level == sizes.length - 1 ? sizes[level] : count(keep[level - 1])];
    int j = 0;
    for (int u = 0; u < sizes[level]; u++) {
      if (kept(level, u)) {
        out[j++] = u;
      }
    }
    return out;
  }

  /** The kept parameters of {@code full}, shaped as the sub-model. */
  public ParameterSet extract(ParameterSet full) {
    List<Tensor> out = new ArrayList<>();
    for (int l = 0; l + 1 < sizes.length; l++) {
      int[] ins = keptUnits(l);
      int[] outs = keptUnits(l + 1);
      float[] w = full.get(ModelSpec.weightName(l)).data();
      float[] b = full.get(ModelSpec.biasName(l)).data();
      int width = sizes[l + 1];
      float[] sw = new float[ins.length * outs.length];
      for (int i = 0; i < ins.length; i++) {
        for (int o = 0; o < outs.length; o++) {
          sw[i * outs.length + o] = w[ins[i] * width + outs[o]];
        }
      }
      float[] sb = new float[outs.length];
      for (int o = 0; o < outs.length; o++) {
        sb[o] = b[outs[o]];
      }
      out.add(Tensor.of(ModelSpec.weightName(l), sw, ins.length, outs.length));
      out.add(Tensor.of(ModelSpec.biasName(l), sb, outs.length));
    }
    return ParameterSet.of(out);
  }

  /** {@code base} with the kept positions replaced by the sub-model's {@code sub} (a new set). */
  public ParameterSet scatter(ParameterSet sub, ParameterSet base) {
    ParameterSet full = base.copy();
    for (int l = 0; l + 1 < sizes.length; l++) {
      int[] ins = keptUnits(l);
      int[] outs = keptUnits(l + 1);
      float[] w = full.get(ModelSpec.weightName(l)).data();
      float[] b = full.get(ModelSpec.biasName(l)).data();
      float[] sw = sub.get(ModelSpec.weightName(l)).data();
      float[] sb = sub.get(ModelSpec.biasName(l)).data();
      int width = sizes[l + 1];
      for (int i = 0; i < ins.length; i++) {
        for (int o = 0; o < outs.length; o++) {
          w[ins[i] * width + outs[o]] = sw[i * outs.length + o];
        }
      }
      for (int o = 0; o < outs.length; o++) {
        b[outs[o]] = sb[o];
      }
    }
    return full;
  }

  /** 1 at every trained position, 0 elsewhere, shaped like the full model ({@code AttachmentKey.TRAINED_MASK}). */
  public ParameterSet parameterMask(ParameterSet like) {
    ParameterSet ones = like.zerosLike();
    for (Tensor t : ones) {
      Arrays.fill(t.data(), 1f);
    }
    return scatter(extract(ones), like.zerosLike());
  }

  /** Number of kept (trained and sent) parameters. */
  public long keptParameters() {
    int[] s = subSizes();
    long n = 0;
    for (int l = 0; l + 1 < s.length; l++) {
      n += (long) s[l] * s[l + 1] + s[l + 1];
    }
    return n;
  }

  /** Bytes to name the kept neurons: per hidden layer, their indices delta-encoded as LEB128 varints. */
  public long positionBytes() {
    return positionBytes(keep);
  }

  /**
   * Bytes to name the kept units of {@code keep} (per layer, a 2-byte count and the kept indices delta-encoded as
   * LEB128 varints): the position overhead of any unit-dropped sub-model.
   */
  public static long positionBytes(boolean[][] keep) {
    long bytes = 0;
    for (boolean[] layer : keep) {
      int prev = 0;
      for (int u = 0; u < layer.length; u++) {
        if (layer[u]) {
          int gap = u - prev;
          bytes += gap < 128 ? 1 : gap < 16384 ? 2 : 3;
          prev = u;
        }
      }
      bytes += 2; // the count of kept units
    }
    return bytes;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof NeuronMask m && spec.equals(m.spec) && Arrays.equals(sizes, m.sizes) && Arrays.deepEquals(keep, m.keep);
  }

  @Override
  public int hashCode() {
    return Arrays.deepHashCode(keep);
  }
}
