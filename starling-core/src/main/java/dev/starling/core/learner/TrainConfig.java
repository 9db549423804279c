package dev.starling.core.learner;

import dev.starling.core.error.Checks;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import java.util.Objects;
import java.util.Optional;

/**
 * Typed instructions for one local training job, produced per client per round by the strategy.
 *
 * @param round the federated round (>= 1)
 * @param localEpochs passes over the local data
 * @param batchSize mini-batch size
 * @param learningRate SGD step size
 * @param momentum heavy-ball momentum in [0, 1)
 * @param weightDecay L2 penalty coefficient added to the gradient
 * @param proximalMu FedProx proximal coefficient: the local objective gains (mu/2)||w - w_global||^2
 * @param seed seed of the client's shuffling for this job, chosen by the server so runs reproduce
 * @param gradientCorrection a constant added to every mini-batch gradient (SCAFFOLD's {@code c - c_i}),
 *     shaped like the model; {@code null} for none
 * @param attachments tensors the strategy sends along (e.g. the server control variate)
 */
public record TrainConfig(
    int round, int localEpochs, int batchSize, double learningRate, double momentum,
    double weightDecay, double proximalMu, long seed, ParameterSet gradientCorrection, Attachments attachments) {

  public TrainConfig {
    Checks.checkNonNegative(round, "round");
    Checks.checkPositive(localEpochs, "localEpochs");
    Checks.checkPositive(batchSize, "batchSize");
    Checks.checkPositive(learningRate, "learningRate");
    Checks.checkArgument(momentum >= 0 && momentum < 1, "momentum", "in [0, 1)", momentum);
    Checks.checkNonNegative(weightDecay, "weightDecay");
    Checks.checkNonNegative(proximalMu, "proximalMu");
    Objects.requireNonNull(attachments, "attachments");
  }

  /** The gradient correction, if any. */
  public Optional<ParameterSet> correction() {
    return Optional.ofNullable(gradientCorrection);
  }

  public static Builder builder() {
    return new Builder();
  }

  /** A builder initialised with this config's values. */
  public Builder toBuilder() {
    return builder().round(round).localEpochs(localEpochs).batchSize(batchSize).learningRate(learningRate)
        .momentum(momentum).weightDecay(weightDecay).proximalMu(proximalMu).seed(seed)
        .gradientCorrection(gradientCorrection).attachments(attachments);
  }

  public TrainConfig withRound(int r) {
    return toBuilder().round(r).build();
  }

  public TrainConfig withSeed(long s) {
    return toBuilder().seed(s).build();
  }

  public TrainConfig withProximalMu(double mu) {
    return toBuilder().proximalMu(mu).build();
  }

  public TrainConfig withLocalEpochs(int epochs) {
    return toBuilder().localEpochs(epochs).build();
  }

  public TrainConfig withGradientCorrection(ParameterSet correction) {
    return toBuilder().gradientCorrection(correction).build();
  }

  public TrainConfig withAttachments(Attachments a) {
    return toBuilder().attachments(a).build();
  }

  /** Builder with the defaults E=1, B=32, lr=0.05, no momentum, no decay, no proximal term. */
  public static final class Builder {
    private int round = 1;
    private int localEpochs = 1;
    private int batchSize = 32;
    private double learningRate = 0.05;
    private double momentum;
    private double weightDecay;
    private double proximalMu;
    private long seed;
    private ParameterSet gradientCorrection;
    private Attachments attachments = Attachments.none();

    private Builder() {}

    public Builder round(int v) { round = v; return this; }
    public Builder localEpochs(int v) { localEpochs = v; return this; }
    public Builder batchSize(int v) { batchSize = v; return this; }
    public Builder learningRate(double v) { learningRate = v; return this; }
    public Builder momentum(double v) { momentum = v; return this; }
    public Builder weightDecay(double v) { weightDecay = v; return this; }
    public Builder proximalMu(double v) { proximalMu = v; return this; }
    public Builder seed(long v) { seed = v; return this; }
    public Builder gradientCorrection(ParameterSet v) { gradientCorrection = v; return this; }
    public Builder attachments(Attachments v) { attachments = v; return this; }

    public TrainConfig build() {
      return new TrainConfig(round, localEpochs, batchSize, learningRate, momentum, weightDecay, proximalMu, seed,
          gradientCorrection, attachments);
    }
  }
}
