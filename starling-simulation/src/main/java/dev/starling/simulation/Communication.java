package dev.starling.simulation;

import dev.starling.compression.CodecChain;
import dev.starling.compression.ModelBroadcastCompression;
import dev.starling.compression.UpdateCompression;
import dev.starling.core.learner.TrainInterceptor;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * What crosses the simulated wire: the codec of client updates (uplink), with or without client-side
 * error feedback, and the codec of the global model sent to clients (downlink). Byte counts in the
 * metrics are the encoded sizes.
 *
 * @param uplink codec of updates (identity: raw float32)
 * @param errorFeedback whether clients keep the uplink codec's residual and send it later
 * @param downlink codec of the broadcast model (identity: raw float32)
 */
public record Communication(CodecChain uplink, boolean errorFeedback, CodecChain downlink) {
  public Communication {
    Objects.requireNonNull(uplink, "uplink");
    Objects.requireNonNull(downlink, "downlink");
    if (errorFeedback && uplink.lossless()) {
      throw new IllegalArgumentException("error feedback needs a lossy uplink codec; " + uplink.describe() + " is lossless");
    }
  }

  /** Raw float32 both ways. */
  public static Communication none() {
    return new Communication(CodecChain.identity(), false, CodecChain.identity());
  }

  public boolean isNone() {
    return uplink.isIdentity() && downlink.isIdentity();
  }

  /** The client interceptors, outermost first: downlink, then uplink. */
  List<TrainInterceptor> interceptors(long seed) {
    List<TrainInterceptor> out = new ArrayList<>(2);
    if (!downlink.isIdentity()) {
      out.add(new ModelBroadcastCompression(downlink, seed));
    }
    if (!uplink.isIdentity()) {
      out.add(new UpdateCompression(uplink, errorFeedback));
    }
    return out;
  }

  public String describe() {
    return "uplink " + uplink.describe() + (errorFeedback ? " with error feedback" : "") + ", downlink " + downlink.describe();
  }
}
