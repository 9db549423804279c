package dev.starling.compression;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.Objects;

/**
 * Downlink compression: the global model {@code x} is sent encoded, the client trains from
 * {@code x~ = decode(encode(x))}, and its update is applied to the server's exact {@code x}:
 * the server receives {@code x + (w - x~)}, so the downlink's rounding never accumulates in the global
 * model. Install it outermost (before {@link UpdateCompression}). The result carries
 * {@link Metrics#WIRE_BYTES_DOWN}. The encoding is seeded by (seed, round), the same for every client of
 * a round, as a broadcast would be, and encoded once per round (the last broadcast is cached). Thread-safe.
 */
public final class ModelBroadcastCompression implements TrainInterceptor {
  private final Codec codec;
  private final BroadcastEncoder encoder;

  public ModelBroadcastCompression(Codec codec, long seed) {
    this.codec = Objects.requireNonNull(codec, "codec");
    this.encoder = new BroadcastEncoder(codec, seed);
  }

  public Codec codec() {
    return codec;
  }

  /** The last broadcast decoded: every client of a round receives the same model, so it is decoded once too. */
  private record Received(BroadcastEncoder.Broadcast sent, ParameterSet model) {}

  private volatile Received last;

  private Received broadcast(ParameterSet global, int round) {
    BroadcastEncoder.Broadcast b = encoder.encode(global, round);
    Received r = last;
    if (r != null && r.sent() == b) {
      return r;
    }
    r = new Received(b, global.unflatten(codec.decode(b.bytes())));
    last = r;
    return r;
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config, ClientState state, Trainer next) {
    Received b = broadcast(global, config.round());
    float[] x = global.flatten();
    float[] received = b.model().flatten();
    TrainResult r = next.fit(b.model().copy(), config);
    float[] w = r.parameters().flatten();
    for (int i = 0; i < w.length; i++) {
      w[i] = x[i] + (w[i] - received[i]);
    }
    Metrics m = r.metrics().with(Metrics.of(Metrics.WIRE_BYTES_DOWN, b.sent().bytes().length));
    return new TrainResult(global.unflatten(w), r.numExamples(), r.localSteps(), m, r.attachments());
  }

  @Override
  public String toString() {
    return "ModelBroadcastCompression(" + codec.describe() + ")";
  }
}
