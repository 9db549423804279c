package dev.starling.simulation.adversary;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.random.RandomSource;

/** The client-side interceptors that put an {@link Adversity} into effect for one simulated client. */
public final class AdversaryInterceptors {
  private static final long STRAGGLE_STREAM = 0x57A6L;
  private static final long ATTACK_STREAM = 0xA77AL;

  private AdversaryInterceptors() {}

  /**
   * Makes the client a straggler with probability {@code fraction} per round (seeded by round and
   * client): it trains fewer epochs, or fails with UNAVAILABLE when {@code drop} is set.
   */
  public static TrainInterceptor straggler(double fraction, boolean drop, RandomSource root, int client) {
    return (global, config, state, next) -> {
      RandomSource rng = root.derive(config.round(), client, STRAGGLE_STREAM);
      if (rng.nextDouble() >= fraction) {
        return next.fit(global, config);
      }
      int e = config.localEpochs();
      int epochs = e > 1 ? 1 + rng.nextInt(e - 1) : e;
      if (drop) {
        throw new FlException(ErrorCode.UNAVAILABLE,
            "straggler dropped in round " + config.round() + " (could finish " + epochs + " of " + e + " epochs)");
      }
      return next.fit(global, config.withLocalEpochs(epochs));
    };
  }

  /** Replaces the client's honest update as {@code attack} says. */
  public static TrainInterceptor attacker(Attack attack, RandomSource root, int client) {
    return (global, config, state, next) ->
        attack.tamper(global, next.fit(global, config), root.derive(config.round(), client, ATTACK_STREAM));
  }
}
