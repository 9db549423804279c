package dev.starling.privacy.dp;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/**
 * Exact scalars in a checkpoint's float tensors: a long (or a double's raw bits) as four 16-bit pieces,
 * each exactly representable as a float, so no rounding and no NaN canonicalisation touches them.
 * Stateless. Public for the privacy decorators in other packages of this module; not an API.
 */
public final class StateTensors {
  private StateTensors() {}

  public static Tensor ofLong(String name, long v) {
    float[] f = new float[4];
    for (int i = 0; i < 4; i++) {
      f[i] = (float) ((v >>> (16 * i)) & 0xFFFF);
    }
    return Tensor.of(name, f, 4);
  }

  public static long longOf(Tensor t) {
    float[] f = t.data();
    if (f.length != 4) {
      throw new IllegalArgumentException("state tensor '" + t.name() + "' has " + f.length + " values, expected 4");
    }
    long v = 0;
    for (int i = 0; i < 4; i++) {
      v |= ((long) f[i] & 0xFFFF) << (16 * i);
    }
    return v;
  }

  public static Tensor ofDouble(String name, double v) {
    return ofLong(name, Double.doubleToRawLongBits(v));
  }

  public static double doubleOf(Tensor t) {
    return Double.longBitsToDouble(longOf(t));
  }

  /** Splits {@code saved} into the tensors named with {@code prefix} (index 0) and the rest (index 1). */
  public static List<List<Tensor>> split(ParameterSet saved, String prefix) {
    List<Tensor> mine = new ArrayList<>();
    List<Tensor> rest = new ArrayList<>();
    for (Tensor t : saved) {
      (t.name().startsWith(prefix) ? mine : rest).add(t);
    }
    return List.of(mine, rest);
  }
}
