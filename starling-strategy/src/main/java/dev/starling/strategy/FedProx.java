package dev.starling.strategy;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.ClientId;

/**
 * FedProx (Li, Sahu, Zaheer, Sanjabi, Talwalkar, Smith, "Federated Optimization in Heterogeneous
 * Networks", MLSys 2020): clients minimise their local loss plus the proximal term
 * {@code (mu/2) ||w - w_global||^2}, which limits client drift on non-IID data; the server aggregates
 * like the decorated strategy (FedAvg in the paper). The proximal term is applied by the client's
 * learner, which receives {@code mu} in {@link TrainConfig#proximalMu()}.
 */
public final class FedProx extends ForwardingStrategy {
  private final double mu;

  /** FedProx over example-weighted FedAvg. */
  public FedProx(double mu) {
    this(new FedAvg(), mu);
  }

  public FedProx(Strategy aggregator, double mu) {
    super(aggregator);
    this.mu = Checks.checkNonNegative(mu, "mu");
  }

  public double mu() {
    return mu;
  }

  @Override
  public TrainConfig configureTrain(int round, ClientId client, TrainConfig base) {
    return super.configureTrain(round, client, base).withProximalMu(mu);
  }

  @Override
  public String describe() {
    return "FedProx(mu=" + mu + ") <- " + super.describe();
  }
}
