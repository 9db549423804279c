package dev.starling.compression.quantize;

import dev.starling.compression.ValueCodec;
import dev.starling.core.random.RandomSource;
import java.nio.ByteBuffer;

/**
 * Scaled sign compression (signSGD with a magnitude, as in Karimireddy et al., "Error Feedback Fixes
 * SignSGD", ICML 2019): blocks of {@value #BLOCK} values store the mean absolute value {@code m} of the
 * block as float32 and one bit per value (1 = negative); decoding gives {@code +-m}. About 1 bit a value.
 * Biased: it needs error feedback to converge in general. Error bound: {@code |x' - x| <= |x| + m}, and
 * the block's L1 norm is preserved (up to float rounding). Stateless.
 */
public final class SignValues implements ValueCodec {
  /** Values per block sharing one magnitude. */
  public static final int BLOCK = 256;

  @Override
  public String describe() {
    return "sign";
  }

  @Override
  public boolean lossless() {
    return false;
  }

  @Override
  public long encodedSize(int count) {
    long blocks = (count + BLOCK - 1) / BLOCK;
    return 4 * blocks + (count + 7L) / 8;
  }

  @Override
  public void encode(float[] v, int count, RandomSource rng, ByteBuffer out) {
    int blocks = (count + BLOCK - 1) / BLOCK;
    for (int b = 0; b < blocks; b++) {
      int to = Math.min(count, (b + 1) * BLOCK);
      double sum = 0;
      for (int i = b * BLOCK; i < to; i++) {
        sum += Math.abs(v[i]);
      }
      out.putFloat((float) (sum / (to - b * BLOCK)));
    }
    int full = count & ~7;
    for (int i = 0; i < full; i += 8) {
      int acc = 0;
      for (int b = 0; b < 8; b++) {
        acc |= (v[i + b] < 0 ? 1 : 0) << b; // no data-dependent branch: signs are random
      }
      out.put((byte) acc);
    }
    if (full < count) {
      int acc = 0;
      for (int i = full; i < count; i++) {
        acc |= (v[i] < 0 ? 1 : 0) << (i - full);
      }
      out.put((byte) acc);
    }
  }

  @Override
  public void decode(ByteBuffer in, float[] dst, int count) {
    int blocks = (count + BLOCK - 1) / BLOCK;
    float[] scale = new float[blocks];
    for (int b = 0; b < blocks; b++) {
      scale[b] = in.getFloat();
    }
    int acc = 0;
    for (int i = 0; i < count; i++) {
      if ((i & 7) == 0) {
        acc = in.get();
      }
      // the sign bit set from the stored bit, without a branch on random data
      int magnitude = Float.floatToRawIntBits(scale[i / BLOCK]);
      dst[i] = Float.intBitsToFloat(magnitude | (((acc >>> (i & 7)) & 1) << 31));
    }
  }
}
