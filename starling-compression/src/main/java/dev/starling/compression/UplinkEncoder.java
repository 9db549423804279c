package dev.starling.compression;

import java.util.Objects;

/**
 * The uplink half of a client that sends its updates encoded itself (a networked client): encodes each
 * update delta {@code d = w - x} with a {@link Codec}, through {@link ErrorFeedback} when asked, whose
 * residual this object keeps for the life of the client process. Draws stochastic rounding from
 * {@link UpdateCompression#rng(long)} of the job's seed, so it writes the same bytes as the simulation's
 * {@link UpdateCompression} for the same job. Not thread-safe (one per client; jobs run one at a time).
 */
public final class UplinkEncoder {
  private final Codec codec;
  private final boolean errorFeedback;
  private float[] residual;

  public UplinkEncoder(Codec codec, boolean errorFeedback) {
    this.codec = Objects.requireNonNull(codec, "codec");
    if (errorFeedback && codec.lossless()) {
      throw new IllegalArgumentException("error feedback needs a lossy uplink codec; " + codec.describe() + " is lossless");
    }
    this.errorFeedback = errorFeedback;
  }

  public Codec codec() {
    return codec;
  }

  public boolean errorFeedback() {
    return errorFeedback;
  }

  /** Encodes {@code delta} (not modified) for the job seeded {@code jobSeed}; returns the bytes to send. */
  public byte[] encode(float[] delta, long jobSeed) {
    if (!errorFeedback) {
      return codec.encode(delta, UpdateCompression.rng(jobSeed));
    }
    if (residual == null || residual.length != delta.length) {
      residual = new float[delta.length]; // first job, or the model changed shape: start over
    }
    return new ErrorFeedback(codec, residual).encode(delta, UpdateCompression.rng(jobSeed), new float[delta.length]);
  }

  /** The error-feedback residual kept so far (a copy), or an empty array without error feedback or before the first job. */
  public float[] residual() {
    return residual == null ? new float[0] : residual.clone();
  }
}
