package dev.starling.compression.internal;

import java.nio.ByteBuffer;

/** Unsigned LEB128 variable-length integers (7 bits per byte, low groups first). Stateless. */
public final class Varints {
  private Varints() {}

  /** Bytes {@link #write} uses for {@code v >= 0}. */
  public static int size(long v) {
    int n = 1;
    while ((v >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  public static void write(ByteBuffer out, long v) {
    while ((v & ~0x7FL) != 0) {
      out.put((byte) ((v & 0x7F) | 0x80));
      v >>>= 7;
    }
    out.put((byte) v);
  }

  /** Reads a value written by {@link #write}; throws {@link IllegalArgumentException} on overlong input. */
  public static long read(ByteBuffer in) {
    long v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
      byte b = in.get();
      v |= (long) (b & 0x7F) << shift;
      if (b >= 0) {
        return v;
      }
    }
    throw new IllegalArgumentException("malformed varint: more than 10 bytes");
  }
}
