package dev.starling.compression;

import dev.starling.core.random.RandomSource;

/**
 * The optional first stage of a {@link CodecChain}: chooses which coordinates of a vector are sent. The
 * others decode as zero (with error feedback, the client keeps them in its residual). Immutable and
 * thread-safe.
 */
public interface Sparsifier {
  /** The spec this stage parses from, e.g. {@code topk:0.01}. */
  String describe();

  /** The number of coordinates kept out of {@code n}: {@code max(1, ceil(fraction * n))}, at most n. */
  int count(int n);

  /** The kept positions of {@code x}, strictly increasing, {@link #count}{@code (x.length)} of them. */
  int[] select(float[] x, RandomSource rng);
}
