package dev.starling.compression;

import dev.starling.core.random.RandomSource;
import java.util.Objects;

/**
 * Client-side error feedback (residual accumulation; Seide et al. 2014, Stich et al. 2018, Karimireddy et
 * al. 2019) around a lossy codec: the client sends {@code C(d + e)} and keeps {@code e <- d + e - C(d + e)},
 * so whatever the codec dropped or rounded this round is sent in later rounds instead of being lost.
 * Top-k and sign compression stall or diverge without it on many problems; with it they converge
 * at the uncompressed rate up to a constant.
 *
 * <p>Holds one residual vector; not thread-safe (one instance per client).
 */
public final class ErrorFeedback {
  private final Codec codec;
  private final float[] residual;

  /** Error feedback for vectors of length {@code n}, starting from a zero residual. */
  public ErrorFeedback(Codec codec, int n) {
    this(codec, new float[n]);
  }

  /** Error feedback resuming from {@code residual} (used, not copied). */
  public ErrorFeedback(Codec codec, float[] residual) {
    this.codec = Objects.requireNonNull(codec, "codec");
    this.residual = Objects.requireNonNull(residual, "residual");
  }

  /** The current residual (live view). */
  public float[] residual() {
    return residual;
  }

  /**
   * Encodes {@code update + residual}, writes what the receiver will decode into {@code decoded}, and
   * updates the residual. Returns the bytes to send.
   */
  public byte[] encode(float[] update, RandomSource rng, float[] decoded) {
    int n = residual.length;
    if (update.length != n || decoded.length != n) {
      throw new IllegalArgumentException("update and decoded must have the residual's length " + n
          + "; got " + update.length + " and " + decoded.length);
    }
    float[] corrected = new float[n];
    for (int i = 0; i < n; i++) {
      corrected[i] = update[i] + residual[i];
    }
    byte[] bytes = codec.encode(corrected, rng);
    float[] sent = codec.decode(bytes);
    for (int i = 0; i < n; i++) {
      residual[i] = corrected[i] - sent[i];
      decoded[i] = sent[i];
    }
    return bytes;
  }
}
