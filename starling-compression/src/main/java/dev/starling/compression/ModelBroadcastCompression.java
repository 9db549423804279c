package dev.starling.compression;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import java.util.Objects;

/**
 * Downlink compression: the global model {@code x} is sent encoded, the client trains from
 * {@code x~ = decode(encode(x))}, and its update is applied to the server's exact {@code x}:
 * the server receives {@code x + (w - x~)}, so the downlink's rounding never accumulates in the global
 * model. Install it outermost (before {@link UpdateCompression}). The result carries
 * {@link Metrics#WIRE_BYTES_DOWN}. The encoding is seeded by (seed, round), the same for every client of
 * a round, as a broadcast would be. Immutable and thread-safe.
 */
public final class ModelBroadcastCompression implements TrainInterceptor {
  private final Codec codec;
  private final long seed;

  public ModelBroadcastCompression(Codec codec, long seed) {
    this.codec = Objects.requireNonNull(codec, "codec");
    this.seed = seed;
  }

  public Codec codec() {
    return codec;
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config, ClientState state, Trainer next) {
    float[] x = global.flatten();
    byte[] bytes = codec.encode(x, RandomSource.seeded(seed).derive(config.round()));
    float[] received = codec.decode(bytes);
    TrainResult r = next.fit(global.unflatten(received), config);
    float[] w = r.parameters().flatten();
    for (int i = 0; i < w.length; i++) {
      w[i] = x[i] + (w[i] - received[i]);
    }
    Metrics m = r.metrics().with(Metrics.of(Metrics.WIRE_BYTES_DOWN, bytes.length));
    return new TrainResult(global.unflatten(w), r.numExamples(), r.localSteps(), m, r.attachments());
  }

  @Override
  public String toString() {
    return "ModelBroadcastCompression(" + codec.describe() + ")";
  }
}
