package dev.starling.compression.quantize;

import dev.starling.compression.ValueCodec;
import dev.starling.core.random.RandomSource;
import java.nio.ByteBuffer;

/** Raw IEEE float32, 4 bytes a value: lossless. Stateless. */
public final class Float32Values implements ValueCodec {
  @Override
  public String describe() {
    return "fp32";
  }

  @Override
  public boolean lossless() {
    return true;
  }

  @Override
  public long encodedSize(int count) {
    return 4L * count;
  }

  @Override
  public void encode(float[] v, int count, RandomSource rng, ByteBuffer out) {
    out.asFloatBuffer().put(v, 0, count);
    out.position(out.position() + 4 * count);
  }

  @Override
  public void decode(ByteBuffer in, float[] dst, int count) {
    in.asFloatBuffer().get(dst, 0, count);
    in.position(in.position() + 4 * count);
  }
}
