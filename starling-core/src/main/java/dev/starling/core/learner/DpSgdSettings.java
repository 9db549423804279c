package dev.starling.core.learner;

import dev.starling.core.error.Checks;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.Optional;

/**
 * Asks a learner to train with DP-SGD (Abadi, Chu, Goodfellow, McMahan, Mironov, Talwar, Zhang, "Deep
 * Learning with Differential Privacy", CCS 2016): per-example gradients clipped to L2 norm
 * {@code clipNorm}, Gaussian noise of standard deviation {@code noiseMultiplier * clipNorm} added to
 * each batch's sum, divided by the batch size. Travels in a {@link TrainConfig}'s attachments under
 * {@link #KEY}, so the strategy that accounts for the privacy spent and the learner that spends it agree
 * on one typed value.
 *
 * @param clipNorm per-example clipping norm C
 * @param noiseMultiplier z
 * @param seededNoise derive the noise from the job seed (reproducible research only; the server picks the
 *     seed); false = {@code SecureRandom}
 */
public record DpSgdSettings(double clipNorm, double noiseMultiplier, boolean seededNoise) {
  /** The attachment key. */
  public static final AttachmentKey KEY = new AttachmentKey("dp-sgd.settings");

  public DpSgdSettings {
    Checks.checkPositive(clipNorm, "clipNorm");
    Checks.checkPositive(noiseMultiplier, "noiseMultiplier");
  }

  /** A copy of {@code config} carrying these settings. */
  public TrainConfig attachTo(TrainConfig config) {
    float[] v = {(float) clipNorm, (float) noiseMultiplier, seededNoise ? 1f : 0f};
    return config.withAttachments(config.attachments().with(KEY, ParameterSet.of(Tensor.of("dp-sgd", v, 3))));
  }

  /** The settings {@code config} carries, if any. */
  public static Optional<DpSgdSettings> from(TrainConfig config) {
    return config.attachments().get(KEY).map(p -> {
      float[] v = p.get("dp-sgd").data();
      Checks.checkArgument(v.length == 3, "dp-sgd settings length", "3", v.length);
      return new DpSgdSettings(v[0], v[1], v[2] != 0f);
    });
  }
}
