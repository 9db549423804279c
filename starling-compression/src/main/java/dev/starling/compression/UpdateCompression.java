package dev.starling.compression;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.Objects;

/**
 * Uplink compression as a client interceptor: after local training the client encodes its update
 * {@code d = w - x} (x the model it trained from) with a {@link Codec}, optionally through
 * {@link ErrorFeedback} whose residual lives in the client's {@link ClientState}, and the server
 * receives {@code x + decode(bytes)}. The result carries {@link Metrics#WIRE_BYTES_UP}, the encoded
 * size, which transports count as the bytes sent. Stochastic codecs draw from a stream derived from
 * the job's seed, so runs reproduce. Immutable and thread-safe.
 */
public final class UpdateCompression implements TrainInterceptor {
  /** Where a client keeps its error-feedback residual. */
  public static final AttachmentKey RESIDUAL = new AttachmentKey("compression.residual");
  private static final long CODEC_STREAM = 0xC0DEC;

  private final Codec codec;
  private final boolean errorFeedback;

  public UpdateCompression(Codec codec, boolean errorFeedback) {
    this.codec = Objects.requireNonNull(codec, "codec");
    this.errorFeedback = errorFeedback;
  }

  public Codec codec() {
    return codec;
  }

  public boolean errorFeedback() {
    return errorFeedback;
  }

  /**
   * The stream a job's stochastic uplink encoding draws from, derived from the job's seed; networked
   * clients use the same one, so a networked and a simulated run encode alike.
   */
  public static RandomSource rng(long jobSeed) {
    return RandomSource.seeded(jobSeed).derive(CODEC_STREAM);
  }

  @Override
  public TrainResult fit(ParameterSet global, TrainConfig config, ClientState state, Trainer next) {
    TrainResult r = next.fit(global, config);
    float[] x = global.flatten();
    float[] w = r.parameters().flatten();
    float[] d = new float[x.length];
    for (int i = 0; i < d.length; i++) {
      d[i] = w[i] - x[i];
    }
    RandomSource rng = rng(config.seed());
    byte[] bytes;
    float[] sent;
    if (errorFeedback) {
      float[] residual = state.get(RESIDUAL).map(p -> p.get("residual").data()).orElseGet(() -> new float[x.length]);
      if (residual.length != x.length) {
        residual = new float[x.length]; // the model changed shape: start over
      }
      sent = new float[x.length];
      bytes = new ErrorFeedback(codec, residual).encode(d, rng, sent);
      state.put(RESIDUAL, ParameterSet.of(Tensor.of("residual", residual, residual.length)));
    } else {
      bytes = codec.encode(d, rng);
      sent = codec.decode(bytes);
    }
    for (int i = 0; i < sent.length; i++) {
      sent[i] += x[i];
    }
    Metrics m = r.metrics().with(Metrics.of(Metrics.WIRE_BYTES_UP, bytes.length));
    return new TrainResult(global.unflatten(sent), r.numExamples(), r.localSteps(), m, r.attachments());
  }

  @Override
  public String toString() {
    return "UpdateCompression(" + codec.describe() + (errorFeedback ? ", error feedback" : "") + ")";
  }
}
