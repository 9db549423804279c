package dev.starling.transport.grpc.server;

import dev.starling.compression.BroadcastEncoder;
import dev.starling.compression.CodecChain;
import java.util.Objects;

/**
 * What a networked run sends encoded: the codec of client updates (uplink), with or without the clients'
 * error feedback, and the codec of the global model in training tasks (downlink), as
 * {@code simulate --uplink-codec / --error-feedback / --downlink-codec} do in simulation. With either
 * codec set, clients send the delta {@code w - x} from the model they trained from, encoded with the
 * uplink codec (fp32 when only the downlink is compressed), and the server adds it to the exact global
 * model it sent, so the downlink's rounding never accumulates in the global model. The downlink is
 * encoded once per round ({@link BroadcastEncoder}, seeded by (seed, round)) and the same bytes go to
 * every client.
 *
 * @param uplink codec of updates
 * @param errorFeedback whether clients keep the uplink codec's residual and send it later
 * @param downlink codec of the broadcast model
 * @param seed seeds the downlink's stochastic rounding (the run's seed, as in simulation)
 */
public record WireCompression(CodecChain uplink, boolean errorFeedback, CodecChain downlink, long seed) {
  public WireCompression {
    Objects.requireNonNull(uplink, "uplink");
    Objects.requireNonNull(downlink, "downlink");
    if (errorFeedback && uplink.lossless()) {
      throw new IllegalArgumentException("error feedback needs a lossy uplink codec; " + uplink.describe() + " is lossless");
    }
  }

  /** Whether anything is encoded at all (otherwise the run sends float32 chunks as before). */
  public boolean active() {
    return !uplink.isIdentity() || !downlink.isIdentity();
  }

  public String describe() {
    return "uplink " + uplink.describe() + (errorFeedback ? " with error feedback" : "") + ", downlink " + downlink.describe();
  }
}
