package dev.starling.compression.quantize;

import dev.starling.compression.ValueCodec;
import dev.starling.core.random.RandomSource;
import java.nio.ByteBuffer;

/**
 * bfloat16 (the upper 16 bits of a float32: same exponent range, 8-bit significand), rounded to nearest
 * even. Error bound: {@code |x' - x| <= 2^-8 |x|} for normal values; no overflow short of float32's
 * own (values within 2^-8 of {@code Float.MAX_VALUE} saturate to it). NaN stays NaN. Stateless.
 */
public final class BFloat16Values implements ValueCodec {
  @Override
  public String describe() {
    return "bf16";
  }

  @Override
  public boolean lossless() {
    return false;
  }

  @Override
  public long encodedSize(int count) {
    return 2L * count;
  }

  /** The bfloat16 bits of {@code x}, rounded to nearest even. */
  static short toBits(float x) {
    int bits = Float.floatToRawIntBits(x);
    if (Float.isNaN(x)) {
      return (short) ((bits >>> 16) | 0x40); // keep it a (quiet) NaN
    }
    int rounded = bits + 0x7FFF + ((bits >>> 16) & 1);
    if ((rounded & 0x7F800000) == 0x7F800000 && (bits & 0x7F800000) != 0x7F800000) {
      rounded = (bits & 0x80000000) | 0x7F7F0000; // saturate instead of rounding up to infinity
    }
    return (short) (rounded >>> 16);
  }

  @Override
  public void encode(float[] v, int count, RandomSource rng, ByteBuffer out) {
    for (int i = 0; i < count; i++) {
      out.putShort(toBits(v[i]));
    }
  }

  @Override
  public void decode(ByteBuffer in, float[] dst, int count) {
    for (int i = 0; i < count; i++) {
      dst[i] = Float.intBitsToFloat((in.getShort() & 0xFFFF) << 16);
    }
  }
}
