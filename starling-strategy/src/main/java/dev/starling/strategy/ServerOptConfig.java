package dev.starling.strategy;

import dev.starling.core.error.Checks;

/**
 * Hyper-parameters of the adaptive server optimisers {@link FedAdagrad}, {@link FedAdam} and
 * {@link FedYogi} (Reddi, Charles, Zaheer, Garrett, Rush, Konečný, Kumar, McMahan, "Adaptive Federated
 * Optimization", ICLR 2021, Algorithm 2). Immutable and validated on construction.
 *
 * <p>{@link #defaults()} is {@code eta=0.1, beta1=0.9, beta2=0.99, tau=1e-3}: the paper fixes
 * {@code beta1 = 0.9, beta2 = 0.99} in its experiments and tunes {@code eta} and {@code tau} per task
 * ({@code tau = 1e-3} is among its best values on several tasks; {@code eta = 0.1} is Flower's default).
 * Flower instead uses {@code tau = 1e-9} and, for FedAdagrad, {@code beta1 = 0}; pass
 * {@code new ServerOptConfig(0.1, 0.0, 0.99, 1e-9)} to reproduce its FedAdagrad.
 *
 * @param eta server learning rate {@code eta}, &gt; 0
 * @param beta1 first-moment (momentum) decay {@code beta1} in [0, 1)
 * @param beta2 second-moment decay {@code beta2} in [0, 1); unused by FedAdagrad
 * @param tau degree of adaptivity {@code tau} &gt; 0 (smaller is more adaptive); second moments start at
 *     {@code tau^2}, as in the paper's initialisation {@code v_{-1} >= tau^2}
 */
public record ServerOptConfig(double eta, double beta1, double beta2, double tau) {
  public ServerOptConfig {
    Checks.checkPositive(eta, "eta");
    Checks.checkArgument(beta1 >= 0 && beta1 < 1, "beta1", "in [0, 1)", beta1);
    Checks.checkArgument(beta2 >= 0 && beta2 < 1, "beta2", "in [0, 1)", beta2);
    Checks.checkPositive(tau, "tau");
  }

  /** {@code eta=0.1, beta1=0.9, beta2=0.99, tau=1e-3} (see the class comment for their sources). */
  public static ServerOptConfig defaults() {
    return new ServerOptConfig(0.1, 0.9, 0.99, 1e-3);
  }

  /** The configuration as used in {@code describe()}, e.g. {@code eta=0.1,b1=0.9,b2=0.99,tau=0.001}. */
  String describe(boolean withBeta2) {
    return "eta=" + eta + ",b1=" + beta1 + (withBeta2 ? ",b2=" + beta2 : "") + ",tau=" + tau;
  }
}
