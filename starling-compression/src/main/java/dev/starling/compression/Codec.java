package dev.starling.compression;

import dev.starling.core.random.RandomSource;

/**
 * Turns a flat float32 vector (a model update or a model) into bytes for the wire and back. Lossy codecs
 * state their error bound in their class comment, and the codec contract test checks it. Implementations
 * are immutable and thread-safe; stochastic ones draw only from the {@link RandomSource} they are given,
 * so the same seed gives the same bytes.
 */
public interface Codec {
  /** The spec this codec parses from (see {@link Codecs#parse}). */
  String describe();

  /** Whether {@code decode(encode(x))} equals {@code x} bit for bit. */
  boolean lossless();

  /** Encodes {@code x}; {@code x} is not modified. */
  byte[] encode(float[] x, RandomSource rng);

  /**
   * Decodes bytes written by {@link #encode} of the same codec. Throws {@link IllegalArgumentException}
   * naming what is wrong for truncated or malformed input.
   */
  float[] decode(byte[] bytes);
}
