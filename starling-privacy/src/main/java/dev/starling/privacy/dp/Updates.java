package dev.starling.privacy.dp;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** Flat views of model updates ({@code local - global}) used by the DP mechanisms. */
public final class Updates {
  private Updates() {}

  /** {@code p - global}, flattened in tensor order, in double precision. */
  public static double[] delta(ParameterSet p, ParameterSet global) {
    double[] d = new double[Math.toIntExact(global.size())];
    int off = 0;
    for (int t = 0; t < global.count(); t++) {
      float[] g = global.tensors().get(t).data();
      float[] w = p.tensors().get(t).data();
      for (int j = 0; j < g.length; j++) {
        d[off + j] = (double) w[j] - g[j];
      }
      off += g.length;
    }
    return d;
  }

  /** The L2 norm. */
  public static double norm(double[] d) {
    double s = 0;
    for (double v : d) {
      s += v * v;
    }
    return Math.sqrt(s);
  }

  /**
   * The one clip rule of every DP mechanism: the factor {@code min(1, c / norm)} that scales a vector of L2
   * norm {@code norm} to norm at most {@code c}. Callers whose vector is spread over several arrays (DP-SGD's
   * per-example gradients) compute the norm and multiply by this factor; flat vectors use {@link #clip}.
   */
  public static double clipFactor(double norm, double c) {
    return norm > c ? c / norm : 1;
  }

  /** Scales {@code d} in place to norm at most {@code c} ({@link #clipFactor}); returns the norm before clipping. */
  public static double clip(double[] d, double c) {
    double n = norm(d);
    double s = clipFactor(n, c);
    if (s < 1) {
      for (int i = 0; i < d.length; i++) {
        d[i] *= s;
      }
    }
    return n;
  }

  /** A new parameter set {@code global + d} (d flat in tensor order). */
  public static ParameterSet plus(ParameterSet global, double[] d) {
    List<Tensor> out = new ArrayList<>(global.count());
    int off = 0;
    for (Tensor t : global.tensors()) {
      float[] g = t.data();
      float[] r = new float[g.length];
      for (int j = 0; j < g.length; j++) {
        r[j] = (float) (g[j] + d[off + j]);
      }
      off += g.length;
      out.add(Tensor.of(t.name(), r, t.shape()));
    }
    return ParameterSet.of(out);
  }
}
