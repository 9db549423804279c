package dev.starling.core.tensor;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;

/**
 * An ordered collection of uniquely named tensors: the parameters of a model or an update to them.
 *
 * <p>The collection is immutable; the tensors' data arrays are shared (see {@link Tensor}). The order
 * is the order given at construction and is the order of serialisation and of {@link #flatten()}.
 */
public final class ParameterSet implements Iterable<Tensor> {
  private final List<Tensor> tensors;
  private final Map<String, Tensor> byName;
  private final long size;

  private ParameterSet(List<Tensor> tensors) {
    Map<String, Tensor> map = new LinkedHashMap<>();
    long n = 0;
    for (Tensor t : tensors) {
      if (map.put(t.name(), t) != null) {
        throw new IllegalArgumentException("tensor names must be unique. Provided value: duplicate '" + t.name() + "'");
      }
      n += t.size();
    }
    this.tensors = List.copyOf(tensors);
    this.byName = Collections.unmodifiableMap(map);
    this.size = n;
  }

  public static ParameterSet of(List<Tensor> tensors) {
    return new ParameterSet(tensors);
  }

  public static ParameterSet of(Tensor... tensors) {
    return new ParameterSet(List.of(tensors));
  }

  /** The tensor called {@code name}; throws {@link FlException} NOT_FOUND if absent. */
  public Tensor get(String name) {
    Tensor t = byName.get(name);
    if (t == null) {
      throw new FlException(ErrorCode.NOT_FOUND, "no tensor named '" + name + "'; have " + byName.keySet());
    }
    return t;
  }

  public Set<String> names() {
    return byName.keySet();
  }

  public List<Tensor> tensors() {
    return tensors;
  }

  public int count() {
    return tensors.size();
  }

  /** Total number of scalar parameters. */
  public long size() {
    return size;
  }

  /** Bytes of the raw float32 payload. */
  public long sizeBytes() {
    return size * Float.BYTES;
  }

  public ParameterSet map(UnaryOperator<Tensor> f) {
    List<Tensor> out = new ArrayList<>(tensors.size());
    for (Tensor t : tensors) {
      out.add(f.apply(t));
    }
    return new ParameterSet(out);
  }

  /** A deep copy with private buffers. */
  public ParameterSet copy() {
    return map(Tensor::copy);
  }

  /** Zeros with the same names and shapes. */
  public ParameterSet zerosLike() {
    return map(Tensor::zerosLike);
  }

  /** Whether {@code other} has the same tensor names, order and shapes. */
  public boolean sameSpec(ParameterSet other) {
    if (other.tensors.size() != tensors.size()) {
      return false;
    }
    for (int i = 0; i < tensors.size(); i++) {
      if (!tensors.get(i).sameSpec(other.tensors.get(i))) {
        return false;
      }
    }
    return true;
  }

  /**
   * Throws {@link FlException} INVALID_ARGUMENT naming the first difference if {@code other} does not
   * have this set's spec. {@code what} names the offending set in the message, e.g. "update of client 7".
   */
  public void checkSameSpec(ParameterSet other, String what) {
    if (other.tensors.size() != tensors.size()) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT,
          what + " has " + other.tensors.size() + " tensors " + other.names() + ", expected " + tensors.size() + " " + names());
    }
    for (int i = 0; i < tensors.size(); i++) {
      Tensor a = tensors.get(i);
      Tensor b = other.tensors.get(i);
      if (!a.sameSpec(b)) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT,
            what + ": tensor " + i + " is " + b + ", expected " + a);
      }
    }
  }

  /** Concatenates all tensors into one new array in order. */
  public float[] flatten() {
    Checks.checkArgument(size <= Integer.MAX_VALUE - 8, "parameter count", "<= 2^31 - 9 to flatten", size);
    float[] out = new float[(int) size];
    int off = 0;
    for (Tensor t : tensors) {
      System.arraycopy(t.data(), 0, out, off, t.size());
      off += t.size();
    }
    return out;
  }

  /**
   * A parameter set with this one's names and shapes and the values of {@code flat}, the inverse of
   * {@link #flatten()}; {@code flat} is copied tensor by tensor.
   */
  public ParameterSet unflatten(float[] flat) {
    Checks.checkArgument(flat.length == size, "flat.length", "the parameter count " + size, flat.length);
    List<Tensor> out = new ArrayList<>(tensors.size());
    int off = 0;
    for (Tensor t : tensors) {
      out.add(Tensor.of(t.name(), java.util.Arrays.copyOfRange(flat, off, off + t.size()), t.shape()));
      off += t.size();
    }
    return ParameterSet.of(out);
  }

  /**
   * The largest magnitude over every tensor ({@link Tensor#maxAbs()}, cached per tensor): finite exactly
   * when every value is; NaN if a value is NaN, else +Inf if one is infinite; 0 for an empty set.
   */
  public float maxAbs() {
    float m = 0f;
    for (Tensor t : tensors) {
      float a = t.maxAbs();
      if (Float.isNaN(a)) {
        return a;
      }
      m = Math.max(m, a);
    }
    return m;
  }

  /** Index of the first non-finite value, or -1; used to reject NaN/Inf updates. */
  public long firstNonFinite() {
    long off = 0;
    for (Tensor t : tensors) {
      float[] d = t.data();
      for (int i = 0; i < d.length; i++) {
        if (!Float.isFinite(d[i])) {
          return off + i;
        }
      }
      off += d.length;
    }
    return -1;
  }

  @Override
  public Iterator<Tensor> iterator() {
    return tensors.iterator();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ParameterSet p && tensors.equals(p.tensors);
  }

  @Override
  public int hashCode() {
    return tensors.hashCode();
  }

  @Override
  public String toString() {
    return "ParameterSet" + tensors + " (" + size + " params)";
  }
}
