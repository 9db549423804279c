package dev.starling.transport.grpc.wire;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;

/**
 * The compact form of a sub-model update ({@code UpdateHeader.compact_submodel}, protocol v1.6): the trained
 * positions as a bitmap of {@code ceil(n / 8)} bytes (bit {@code j % 8} of byte {@code j / 8}, least significant
 * first, set when flat coordinate {@code j} was trained), then only the trained values as float32 little-endian in
 * position order. Against the v1.4 form (the full-shaped model plus a float32 mask, 8 bytes per parameter) it costs
 * 1/8 byte per parameter plus 4 bytes per trained one. Stateless.
 */
public final class CompactSubModels {
  /**
   * The Hello capability of a client that can send compact sub-model updates; the server then sets
   * {@code Welcome.compact_submodel}, and only then does the client use the form.
   */
  public static final String CAPABILITY = "submodel-compact/1";

  private CompactSubModels() {}

  /** Bytes of the bitmap of a model of {@code n} values. */
  public static long bitmapBytes(long n) {
    return (n + 7) / 8;
  }

  /** Length of the encoding of {@code trained} of {@code n} values. */
  public static long encodedBytes(long n, long trained) {
    return bitmapBytes(n) + trained * Float.BYTES;
  }

  /**
   * Whether every entry of {@code mask} is exactly 0 or 1, the only masks the compact form carries: any other mask
   * travels in the v1.4 form, where the server's position-wise strategy refuses it with the reason, rather than
   * being silently read as 0/1.
   */
  public static boolean binary(float[] mask) {
    for (float m : mask) {
      if (m != 0f && m != 1f) {
        return false;
      }
    }
    return true;
  }

  /** Coordinates {@code mask} marks trained (non-zero). */
  public static int trained(float[] mask) {
    int k = 0;
    for (float m : mask) {
      if (m != 0f) {
        k++;
      }
    }
    return k;
  }

  /**
   * The encoding of {@code values} at the positions {@code mask} marks (non-zero entries; the v1.4 mask holds
   * only 0 and 1).
   *
   * @throws IllegalArgumentException when the arrays differ in length
   */
  public static byte[] encode(float[] values, float[] mask) {
    if (values.length != mask.length) {
      throw new IllegalArgumentException("the mask has " + mask.length + " values, the model " + values.length);
    }
    int n = values.length;
    int bitmap = (int) bitmapBytes(n);
    byte[] out = new byte[Math.toIntExact(encodedBytes(n, trained(mask)))];
    int at = bitmap;
    for (int j = 0; j < n; j++) {
      if (mask[j] != 0f) {
        out[j >>> 3] |= (byte) (1 << (j & 7));
        int bits = Float.floatToRawIntBits(values[j]);
        out[at] = (byte) bits;
        out[at + 1] = (byte) (bits >>> 8);
        out[at + 2] = (byte) (bits >>> 16);
        out[at + 3] = (byte) (bits >>> 24);
        at += 4;
      }
    }
    return out;
  }

  /**
   * Checks an announced header without allocating: {@code values} at most {@code n} and {@code bytes} exactly
   * {@link #encodedBytes}{@code (n, values)}. Throws {@link FlException} INVALID_ARGUMENT naming {@code source}.
   */
  public static void check(long n, long values, long bytes, String source) {
    if (values < 0 || values > n) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": a compact sub-model update announces " + values
          + " trained values, but the model has " + n);
    }
    long expected = encodedBytes(n, values);
    if (bytes != expected) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": a compact sub-model update of " + values
          + " trained values announces " + bytes + " bytes; expected " + expected + " (" + bitmapBytes(n)
          + " bitmap bytes + 4 per value)");
    }
  }

  /**
   * Scatters an encoding into {@code into} (the full-shaped model, changed in place: the trained coordinates
   * take the sent values, the others keep theirs) and returns the trained-mask (1 at every trained position, 0
   * elsewhere). Refuses, with {@link FlException} INVALID_ARGUMENT naming {@code source}, an encoding of the wrong
   * length, a bitmap whose popcount differs from {@code values}, padding bits set, and non-finite values (then
   * {@code into} may be partly changed: pass a copy).
   */
  public static float[] decode(byte[] encoded, long values, float[] into, String source) {
    int n = into.length;
    check(n, values, encoded.length, source);
    int bitmap = (int) bitmapBytes(n);
    long set = 0;
    for (int b = 0; b < bitmap; b++) {
      set += Integer.bitCount(encoded[b] & 0xff);
    }
    if (set != values) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": a compact sub-model update's bitmap marks " + set
          + " positions, but it announces " + values + " trained values");
    }
    if (n % 8 != 0 && (encoded[bitmap - 1] & 0xff) >>> (n % 8) != 0) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": a compact sub-model update's bitmap marks positions"
          + " beyond the model's " + n + " values");
    }
    float[] mask = new float[n];
    int at = bitmap;
    for (int j = 0; j < n; j++) {
      if ((encoded[j >>> 3] & (1 << (j & 7))) != 0) {
        int bits = (encoded[at] & 0xff) | (encoded[at + 1] & 0xff) << 8 | (encoded[at + 2] & 0xff) << 16
            | (encoded[at + 3] & 0xff) << 24;
        at += 4;
        float v = Float.intBitsToFloat(bits);
        if (!Float.isFinite(v)) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": a compact sub-model update has non-finite value "
              + v + " at flat index " + j);
        }
        into[j] = v;
        mask[j] = 1f;
      }
    }
    return mask;
  }
}
