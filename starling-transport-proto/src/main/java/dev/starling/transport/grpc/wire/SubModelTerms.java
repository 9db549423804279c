package dev.starling.transport.grpc.wire;

import dev.starling.transport.grpc.proto.SubModelSetup;
import java.util.Objects;

/**
 * How a networked run's clients train sub-models, as the {@code Welcome} carries it ({@code SubModelSetup},
 * protocol v1.4): the fields of {@code learners}' {@code SubModelConfig}, which neither end of the transport
 * depends on (the server names them, a client's trainer factory builds the learner). The transport only
 * carries and checks them.
 *
 * @param policy the neuron policy spec: {@code federated-dropout} or {@code fisher[:ROWS]}
 * @param keepMin smallest kept fraction of each hidden layer, in (0, 1]
 * @param keepMax largest, in [keepMin, 1]
 * @param fullModelEvery FisherDropout re-ranks on the full model every this many participations (> 0)
 * @param seed seed of capacities, random sub-models, Fisher row samples and (seeded) DP noise
 * @param dpClip local DP clip norm C of a full-model update, 0 for no local DP
 * @param dpNoise local DP noise multiplier z (> 0 when dpClip > 0)
 * @param dpDelta delta of the reported epsilon, in (0, 1)
 * @param dpSeededNoise derive the DP noise from {@code seed} (research runs only) instead of SecureRandom
 */
public record SubModelTerms(String policy, double keepMin, double keepMax, int fullModelEvery, long seed,
    double dpClip, double dpNoise, double dpDelta, boolean dpSeededNoise) {
  /** The Hello capability of a client that reads {@code Welcome.submodel} (and refuses it if it cannot apply it). */
  public static final String CAPABILITY = "submodel/1";

  public SubModelTerms {
    Objects.requireNonNull(policy, "policy");
    if (policy.isBlank()) {
      throw new IllegalArgumentException("sub-model policy must be non-blank");
    }
    if (!(keepMin > 0 && keepMin <= keepMax && keepMax <= 1)) {
      throw new IllegalArgumentException("sub-model keep range must satisfy 0 < min <= max <= 1. Provided values: "
          + keepMin + ", " + keepMax);
    }
    if (fullModelEvery <= 0) {
      throw new IllegalArgumentException("sub-model full_model_every must be > 0. Provided value: " + fullModelEvery);
    }
    if (!(dpClip >= 0 && Double.isFinite(dpClip)) || dpClip > 0 && !(dpNoise > 0 && Double.isFinite(dpNoise))) {
      throw new IllegalArgumentException("sub-model local DP needs a finite clip >= 0 and, with a clip, a finite"
          + " noise multiplier > 0. Provided values: " + dpClip + ", " + dpNoise);
    }
    if (!(dpDelta > 0 && dpDelta < 1)) {
      throw new IllegalArgumentException("sub-model dp_delta must be in (0, 1). Provided value: " + dpDelta);
    }
  }

  /** The Welcome field. */
  public SubModelSetup toProto() {
    return SubModelSetup.newBuilder().setPolicy(policy).setKeepMin(keepMin).setKeepMax(keepMax)
        .setFullModelEvery(fullModelEvery).setSeed(seed).setDpClip(dpClip).setDpNoise(dpNoise).setDpDelta(dpDelta)
        .setDpSeededNoise(dpSeededNoise).build();
  }

  /** Reads the Welcome field; a bad value throws {@link IllegalArgumentException} naming it. */
  public static SubModelTerms fromProto(SubModelSetup p) {
    return new SubModelTerms(p.getPolicy(), p.getKeepMin(), p.getKeepMax(), p.getFullModelEvery(), p.getSeed(),
        p.getDpClip(), p.getDpNoise(), p.getDpDelta(), p.getDpSeededNoise());
  }
}
