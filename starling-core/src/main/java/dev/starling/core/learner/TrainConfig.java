package dev.starling.core.learner;

import dev.starling.core.error.Checks;

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
 */
public record TrainConfig(
    int round, int localEpochs, int batchSize, double learningRate, double momentum,
    double weightDecay, double proximalMu, long seed) {

  public TrainConfig {
    Checks.checkNonNegative(round, "round");
    Checks.checkPositive(localEpochs, "localEpochs");
    Checks.checkPositive(batchSize, "batchSize");
    Checks.checkPositive(learningRate, "learningRate");
    Checks.checkArgument(momentum >= 0 && momentum < 1, "momentum", "in [0, 1)", momentum);
    Checks.checkNonNegative(weightDecay, "weightDecay");
    Checks.checkNonNegative(proximalMu, "proximalMu");
  }

  public static Builder builder() {
    return new Builder();
  }

  public TrainConfig withRound(int r) {
    return new TrainConfig(r, localEpochs, batchSize, learningRate, momentum, weightDecay, proximalMu, seed);
  }

  public TrainConfig withSeed(long s) {
    return new TrainConfig(round, localEpochs, batchSize, learningRate, momentum, weightDecay, proximalMu, s);
  }

  public TrainConfig withProximalMu(double mu) {
    return new TrainConfig(round, localEpochs, batchSize, learningRate, momentum, weightDecay, mu, seed);
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

    private Builder() {}

    public Builder round(int v) { round = v; return this; }
    public Builder localEpochs(int v) { localEpochs = v; return this; }
    public Builder batchSize(int v) { batchSize = v; return this; }
    public Builder learningRate(double v) { learningRate = v; return this; }
    public Builder momentum(double v) { momentum = v; return this; }
    public Builder weightDecay(double v) { weightDecay = v; return this; }
    public Builder proximalMu(double v) { proximalMu = v; return this; }
    public Builder seed(long v) { seed = v; return this; }

    public TrainConfig build() {
      return new TrainConfig(round, localEpochs, batchSize, learningRate, momentum, weightDecay, proximalMu, seed);
    }
  }
}
