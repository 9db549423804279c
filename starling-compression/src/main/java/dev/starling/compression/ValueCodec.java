package dev.starling.compression;

import dev.starling.core.random.RandomSource;
import java.nio.ByteBuffer;

/**
 * The value stage of a {@link CodecChain}: writes a run of float32 values in some number format (float32,
 * float16, bfloat16, b-bit linear quantisation, scaled signs). The encoded size depends only on the
 * number of values, so a chain knows its output size before it writes. Immutable and thread-safe.
 */
public interface ValueCodec {
  /** The spec this stage parses from, e.g. {@code int8}. */
  String describe();

  /** Whether decoding returns the values bit for bit. */
  boolean lossless();

  /** Exact number of bytes {@link #encode} writes for {@code count} values. */
  long encodedSize(int count);

  /** Writes {@code count} values of {@code v} to {@code out} (little-endian). */
  void encode(float[] v, int count, RandomSource rng, ByteBuffer out);

  /** Reads {@code count} values from {@code in} into {@code dst[0..count)}. */
  void decode(ByteBuffer in, float[] dst, int count);
}
