package dev.starling.compression.quantize;

import dev.starling.compression.ValueCodec;
import dev.starling.core.random.RandomSource;
import java.nio.ByteBuffer;

/**
 * IEEE 754 binary16, 2 bytes a value, rounded to nearest even by the JDK's {@link Float#floatToFloat16}.
 * Error bound: {@code |x' - x| <= 2^-11 |x|} for {@code 2^-14 <= |x| <= 65504}, {@code <= 2^-25} below
 * (subnormals); magnitudes above 65504 (the largest finite half) saturate to +-65504 instead of
 * becoming infinite, since an infinite update would be rejected by the server. NaN stays NaN. Stateless.
 */
public final class Float16Values implements ValueCodec {
  /** The largest finite binary16 value. */
  public static final float MAX = 65504f;

  @Override
  public String describe() {
    return "fp16";
  }

  @Override
  public boolean lossless() {
    return false;
  }

  @Override
  public long encodedSize(int count) {
    return 2L * count;
  }

  @Override
  public void encode(float[] v, int count, RandomSource rng, ByteBuffer out) {
    for (int i = 0; i < count; i++) {
      float x = v[i];
      if (x > MAX) {
        x = MAX;
      } else if (x < -MAX) {
        x = -MAX;
      }
      out.putShort(Float.floatToFloat16(x));
    }
  }

  @Override
  public void decode(ByteBuffer in, float[] dst, int count) {
    for (int i = 0; i < count; i++) {
      dst[i] = Float.float16ToFloat(in.getShort());
    }
  }
}
