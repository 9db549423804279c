package dev.starling.learners.submodel;

import dev.starling.core.error.Checks;
import java.util.Objects;

/**
 * How clients train sub-models.
 *
 * @param policy how a client picks its neurons
 * @param keepMin smallest fraction of each hidden layer a client keeps, in (0, 1]
 * @param keepMax largest; each client draws its own fraction uniformly from [keepMin, keepMax] once
 *     (its capacity), seeded by (seed, client)
 * @param fullModelEvery K: a data-dependent policy (Fisher) receives the full model and re-ranks its
 *     neurons every K rounds it takes part in (and on its first); in between it receives only its
 *     sub-model. A random policy gets a new server-drawn sub-model every round.
 * @param dpClip local differential privacy on the kept coordinates: the clip norm C of a full-model
 *     update; a sub-model with a fraction rho of the parameters clips to {@code C sqrt(rho)} (0 = off)
 * @param dpNoise the noise multiplier z of the full model: Gaussian noise of standard deviation
 *     {@code z C} on every sent coordinate (a sub-model's effective multiplier is {@code z / sqrt(rho)},
 *     halved for the replacement of a client's data in the accounting)
 * @param dpDelta the delta of the reported epsilon
 * @param seed seed of capacities, random sub-models, Fisher row samples and (with {@code seededNoise}) DP noise
 * @param seededNoise the {@code --dp-noise} policy: derive the DP noise from {@code seed} (reproducible
 *     research runs only: whoever knows the seed can remove it); false = {@code SecureRandom}
 */
public record SubModelConfig(NeuronPolicy policy, double keepMin, double keepMax, int fullModelEvery, double dpClip,
    double dpNoise, double dpDelta, long seed, boolean seededNoise) {
  public SubModelConfig {
    Objects.requireNonNull(policy, "policy");
    Checks.checkArgument(keepMin > 0 && keepMin <= keepMax && keepMax <= 1, "keep range", "0 < min <= max <= 1",
        keepMin + ".." + keepMax);
    Checks.checkPositive(fullModelEvery, "fullModelEvery");
    Checks.checkNonNegative(dpClip, "dpClip");
    Checks.checkArgument(dpClip == 0 || dpNoise > 0, "dpNoise", "> 0 when dpClip > 0", dpNoise);
    Checks.checkArgument(dpDelta > 0 && dpDelta < 1, "dpDelta", "in (0, 1)", dpDelta);
  }

  public boolean localDp() {
    return dpClip > 0;
  }

  public String describe() {
    String keep = keepMin == keepMax ? String.valueOf(keepMin) : keepMin + "-" + keepMax;
    return policy.describe() + ", keep " + keep
        + (policy.dataDependent() ? ", full model every " + fullModelEvery + " rounds" : ", server-drawn sub-model each round")
        + (localDp() ? ", local DP clip " + dpClip + " z " + dpNoise + (seededNoise ? " (seeded noise)" : "") : "");
  }
}
