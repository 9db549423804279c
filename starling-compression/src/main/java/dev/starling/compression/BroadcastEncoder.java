package dev.starling.compression;

import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import java.util.Objects;

/**
 * Encodes the global model for the downlink once per round: every client of a round receives the same
 * model, so the bytes are computed for the first client and shared by the others, as a broadcast would
 * be. The encoding is seeded by (seed, round), so stochastic codecs give every client, and every rerun,
 * the same bytes. Used by {@link ModelBroadcastCompression} in simulation and by networked servers,
 * which send the bytes themselves. Thread-safe.
 */
public final class BroadcastEncoder {
  private final Codec codec;
  private final long seed;
  private volatile Broadcast last;

  /**
   * One round's broadcast.
   *
   * @param round the round it was encoded for
   * @param global the model it encodes (compared by identity)
   * @param bytes what goes on the wire
   */
  public record Broadcast(int round, ParameterSet global, byte[] bytes) {}

  public BroadcastEncoder(Codec codec, long seed) {
    this.codec = Objects.requireNonNull(codec, "codec");
    this.seed = seed;
  }

  public Codec codec() {
    return codec;
  }

  /** The broadcast of {@code global} in {@code round}: encoded on the first call of the round, then shared. */
  public Broadcast encode(ParameterSet global, int round) {
    Broadcast b = last;
    if (b != null && b.round() == round && b.global() == global) {
      return b;
    }
    // concurrent first clients of a round may both encode; the encoding is deterministic, so either result serves
    b = new Broadcast(round, global, codec.encode(global.flatten(), RandomSource.seeded(seed).derive(round)));
    last = b;
    return b;
  }
}
