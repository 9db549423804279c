package dev.starling.core.learner;

import dev.starling.core.tensor.ParameterSet;

/**
 * Client-side processing around local training (in the spirit of Flower's client mods and gRPC
 * interceptors): adjusts the job before the learner runs, the result after, and may keep state between
 * rounds in the client's {@link ClientState}. Strategies declare the interceptors their clients need
 * (e.g. SCAFFOLD's control-variate bookkeeping); simulations also use them to inject stragglers and
 * attacks.
 *
 * <p>Order: interceptors form a chain; the first in a list is the outermost (sees the job first and
 * the result last). Implementations must be thread-safe: one instance serves many clients, whose
 * state is passed in.
 */
@FunctionalInterface
public interface TrainInterceptor {
  /** Trains by calling {@code next} (or not), possibly changing its inputs and output. */
  TrainResult fit(ParameterSet global, TrainConfig config, ClientState state, Trainer next);

  /** The rest of the chain. */
  @FunctionalInterface
  interface Trainer {
    TrainResult fit(ParameterSet global, TrainConfig config);
  }

  /** Runs {@code learner} behind {@code chain} (first = outermost). */
  static TrainResult run(java.util.List<? extends TrainInterceptor> chain, ParameterSet global, TrainConfig config,
      ClientState state, Trainer learner) {
    Trainer t = learner;
    for (int i = chain.size() - 1; i >= 0; i--) {
      TrainInterceptor ic = chain.get(i);
      Trainer inner = t;
      t = (g, c) -> ic.fit(g, c, state, inner);
    }
    return t.fit(global, config);
  }
}
