package dev.starling.compression.quantize;

import dev.starling.compression.ValueCodec;
import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import java.nio.ByteBuffer;

/**
 * b-bit linear quantisation with stochastic rounding, QSGD-style (Alistarh et al., "QSGD", NeurIPS 2017):
 * values are cut into blocks of {@value #BLOCK}; each block stores its minimum {@code lo} and step
 * {@code s = (max - lo) / (2^b - 1)} as float32, then every value as the level
 * {@code q = floor((x - lo) / s + u)}, {@code u ~ U[0, 1)}, clamped to {@code [0, 2^b - 1]}, packed
 * b bits at a time (b = 8 or 4; two 4-bit levels share a byte, low nibble first). Decoding gives
 * {@code lo + q s}.
 *
 * <p>Stochastic rounding makes the code unbiased, {@code E[x'] = x}, so quantisation noise averages out
 * across clients instead of accumulating as a bias. Error bound: {@code |x' - x| <= s} (one step of the
 * value's block) up to float32 rounding of {@code lo + q s}; a constant block is exact. Size:
 * {@code 8 ceil(n / 256) + ceil(n b / 8)} bytes. Non-finite inputs are refused. Stateless.
 */
public final class LinearQuantizer implements ValueCodec {
  /** Values per block sharing one (lo, step) pair. */
  public static final int BLOCK = 256;

  private final int bits;
  private final int levels;

  /** A quantiser with {@code bits} = 4 or 8 bits per value. */
  public LinearQuantizer(int bits) {
    Checks.checkArgument(bits == 4 || bits == 8, "bits", "4 or 8", bits);
    this.bits = bits;
    this.levels = (1 << bits) - 1;
  }

  public int bits() {
    return bits;
  }

  @Override
  public String describe() {
    return "int" + bits;
  }

  @Override
  public boolean lossless() {
    return false;
  }

  @Override
  public long encodedSize(int count) {
    long blocks = (count + BLOCK - 1) / BLOCK;
    return 8 * blocks + ((long) count * bits + 7) / 8;
  }

  @Override
  public void encode(float[] v, int count, RandomSource rng, ByteBuffer out) {
    int headerAt = out.position();
    int blocks = (count + BLOCK - 1) / BLOCK;
    int dataAt = headerAt + 8 * blocks;
    out.position(dataAt);
    int pending = -1; // a 4-bit level waiting for its partner
    for (int b = 0; b < blocks; b++) {
      int from = b * BLOCK;
      int to = Math.min(count, from + BLOCK);
      float lo = Float.POSITIVE_INFINITY;
      float hi = Float.NEGATIVE_INFINITY;
      for (int i = from; i < to; i++) {
        float x = v[i];
        if (!Float.isFinite(x)) {
          throw new IllegalArgumentException("value " + i + " is " + x + "; " + describe() + " quantises finite values only");
        }
        lo = Math.min(lo, x);
        hi = Math.max(hi, x);
      }
      float step = (float) (((double) hi - lo) / levels);
      if (!(step > 0) || !Float.isFinite(step)) {
        step = 0;
      }
      out.putFloat(headerAt + 8 * b, lo);
      out.putFloat(headerAt + 8 * b + 4, step);
      double inv = step > 0 ? 1.0 / step : 0;
      for (int i = from; i < to; i++) {
        int q = 0;
        if (step > 0) {
          q = (int) Math.floor((v[i] - (double) lo) * inv + rng.nextDouble());
          q = Math.max(0, Math.min(levels, q));
        }
        if (bits == 8) {
          out.put((byte) q);
        } else if (pending < 0) {
          pending = q;
        } else {
          out.put((byte) (pending | (q << 4)));
          pending = -1;
        }
      }
    }
    if (pending >= 0) {
      out.put((byte) pending);
    }
  }

  @Override
  public void decode(ByteBuffer in, float[] dst, int count) {
    int headerAt = in.position();
    int blocks = (count + BLOCK - 1) / BLOCK;
    in.position(headerAt + 8 * blocks);
    int packed = 0;
    boolean haveHigh = false;
    for (int b = 0; b < blocks; b++) {
      float lo = in.getFloat(headerAt + 8 * b);
      float step = in.getFloat(headerAt + 8 * b + 4);
      int to = Math.min(count, (b + 1) * BLOCK);
      for (int i = b * BLOCK; i < to; i++) {
        int q;
        if (bits == 8) {
          q = in.get() & 0xFF;
        } else if (haveHigh) {
          q = packed >>> 4;
          haveHigh = false;
        } else {
          packed = in.get() & 0xFF;
          q = packed & 0x0F;
          haveHigh = true;
        }
        dst[i] = lo + q * step;
      }
    }
  }
}
