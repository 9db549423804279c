package dev.starling.compression;

import dev.starling.compression.entropy.Zstd;
import dev.starling.compression.internal.Varints;
import dev.starling.compression.quantize.Float32Values;
import dev.starling.core.random.RandomSource;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * A codec built from stages: an optional {@link Sparsifier} (which coordinates), a {@link ValueCodec}
 * (how each kept value is written) and an optional {@link Zstd} entropy stage over the result. Written
 * {@code topk:0.01+int8+zstd}; see {@link Codecs#parse}. Immutable and thread-safe.
 *
 * <p>Wire format, version 1 (little-endian): one flags byte ({@code 0x01}; {@code 0x11} when the rest is
 * one zstd frame of the payload); payload: varint {@code n} (vector length), one layout byte (0 dense,
 * 1 sparse), for sparse: varint {@code k} and the k positions delta-encoded as varints (the first
 * position, then each gap to the previous one, so top-1% of a 1M vector costs about 1.3 bytes a
 * position instead of 4); then the value stage's bytes for the n (dense) or k (sparse) values.
 * Decoding checks every length and that positions are strictly increasing and below n.
 */
public final class CodecChain implements Codec {
  private static final int VERSION = 1;
  private static final int ZSTD_FLAG = 0x10;
  /** The largest vector a payload may declare: 2^31 - 9 floats (the JVM's array limit). */
  private static final long MAX_N = Integer.MAX_VALUE - 8;

  private final Sparsifier sparsifier;
  private final ValueCodec values;
  private final Zstd zstd;

  /**
   * A chain; {@code sparsifier} and {@code zstd} may be null (dense values, no entropy stage).
   */
  public CodecChain(Sparsifier sparsifier, ValueCodec values, Zstd zstd) {
    this.sparsifier = sparsifier;
    this.values = Objects.requireNonNull(values, "values");
    this.zstd = zstd;
  }

  /** The identity: dense float32, no entropy stage. */
  public static CodecChain identity() {
    return new CodecChain(null, new Float32Values(), null);
  }

  /** Whether this chain sends raw float32 unchanged (no sparsifier, float32 values, no entropy stage). */
  public boolean isIdentity() {
    return sparsifier == null && values instanceof Float32Values && zstd == null;
  }

  public Sparsifier sparsifier() {
    return sparsifier;
  }

  public ValueCodec values() {
    return values;
  }

  @Override
  public String describe() {
    StringBuilder b = new StringBuilder();
    if (sparsifier != null) {
      b.append(sparsifier.describe()).append('+');
    }
    b.append(values.describe());
    if (zstd != null) {
      b.append('+').append(zstd.describe());
    }
    return b.toString();
  }

  @Override
  public boolean lossless() {
    return sparsifier == null && values.lossless();
  }

  @Override
  public byte[] encode(float[] x, RandomSource rng) {
    Objects.requireNonNull(x, "x");
    int n = x.length;
    int[] pos = sparsifier == null ? null : sparsifier.select(x, rng);
    int m = pos == null ? n : pos.length;
    float[] kept = x;
    long size = 1 + Varints.size(n) + 1 + values.encodedSize(m);
    if (pos != null) {
      kept = new float[m];
      size += Varints.size(m);
      int prev = 0;
      for (int i = 0; i < m; i++) {
        kept[i] = x[pos[i]];
        size += Varints.size(pos[i] - prev);
        prev = pos[i];
      }
    }
    if (size > Integer.MAX_VALUE - 8) {
      throw new IllegalArgumentException("encoded update would be " + size + " bytes; stream it in chunks of at most 2 GiB");
    }
    ByteBuffer out = ByteBuffer.allocate((int) size).order(ByteOrder.LITTLE_ENDIAN);
    out.put((byte) VERSION);
    Varints.write(out, n);
    out.put((byte) (pos == null ? 0 : 1));
    if (pos != null) {
      Varints.write(out, m);
      int prev = 0;
      for (int p : pos) {
        Varints.write(out, p - prev);
        prev = p;
      }
    }
    values.encode(kept, m, rng, out);
    if (out.position() != size) {
      throw new IllegalStateException(describe() + " wrote " + out.position() + " bytes, expected " + size);
    }
    byte[] plain = out.array();
    if (zstd == null) {
      return plain;
    }
    byte[] packed = zstd.compress(java.util.Arrays.copyOfRange(plain, 1, plain.length));
    byte[] framed = new byte[packed.length + 1];
    framed[0] = (byte) (VERSION | ZSTD_FLAG);
    System.arraycopy(packed, 0, framed, 1, packed.length);
    return framed;
  }

  @Override
  public float[] decode(byte[] bytes) {
    Objects.requireNonNull(bytes, "bytes");
    if (bytes.length == 0) {
      throw new IllegalArgumentException("empty encoded update");
    }
    int flags = bytes[0] & 0xFF;
    if ((flags & 0x0F) != VERSION) {
      throw new IllegalArgumentException("encoded update has format version " + (flags & 0x0F) + "; this build reads version " + VERSION);
    }
    boolean packed = (flags & ZSTD_FLAG) != 0;
    if (packed != (zstd != null)) {
      throw new IllegalArgumentException("encoded update " + (packed ? "is" : "is not") + " zstd-compressed but codec is " + describe());
    }
    ByteBuffer in;
    if (packed) {
      in = ByteBuffer.wrap(Zstd.decompress(bytes, 1, 16 + 5 * MAX_N)).order(ByteOrder.LITTLE_ENDIAN);
    } else {
      in = ByteBuffer.wrap(bytes, 1, bytes.length - 1).order(ByteOrder.LITTLE_ENDIAN);
    }
    try {
      long n = Varints.read(in);
      if (n > MAX_N) {
        throw new IllegalArgumentException("encoded update declares " + n + " values; at most " + MAX_N);
      }
      int layout = in.get();
      if (layout == 0) {
        if (sparsifier != null) {
          throw new IllegalArgumentException("encoded update is dense but codec " + describe() + " expects positions");
        }
        checkRemaining(in, values.encodedSize((int) n));
        float[] out = new float[(int) n];
        values.decode(in, out, (int) n);
        return out;
      }
      if (layout != 1) {
        throw new IllegalArgumentException("encoded update has unknown layout " + layout);
      }
      long k = Varints.read(in);
      if (k > n) {
        throw new IllegalArgumentException("encoded update declares " + k + " positions for " + n + " values");
      }
      int[] pos = new int[(int) k];
      long prev = 0;
      for (int i = 0; i < k; i++) {
        long p = prev + Varints.read(in);
        if ((i > 0 && p <= prev) || p >= n) {
          throw new IllegalArgumentException("encoded update position " + i + " is " + p
              + (p >= n ? " (not below n = " + n + ")" : " (not increasing)"));
        }
        pos[i] = (int) p;
        prev = p;
      }
      checkRemaining(in, values.encodedSize((int) k));
      float[] kept = new float[(int) k];
      values.decode(in, kept, (int) k);
      float[] out = new float[(int) n];
      for (int i = 0; i < k; i++) {
        out[pos[i]] = kept[i];
      }
      return out;
    } catch (BufferUnderflowException | IndexOutOfBoundsException e) {
      throw new IllegalArgumentException("encoded update is truncated (" + bytes.length + " bytes)", e);
    }
  }

  private static void checkRemaining(ByteBuffer in, long needed) {
    if (in.remaining() < needed) {
      throw new IllegalArgumentException("encoded update is truncated: values need " + needed + " bytes, "
          + in.remaining() + " left");
    }
  }

  @Override
  public String toString() {
    return describe();
  }
}
