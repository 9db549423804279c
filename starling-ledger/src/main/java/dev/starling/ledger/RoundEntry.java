package dev.starling.ledger;

import dev.starling.core.error.Checks;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * What one aggregation did, as a block records it.
 *
 * @param round the round (model version) this aggregation produced
 * @param configHash SHA-256 of the run's configuration
 * @param modelBefore SHA-256 of the global model the round started from ({@link Digests#of})
 * @param modelAfter SHA-256 of the global model the round committed (equal to before when it kept it)
 * @param participants accepted updates, in the order they were folded
 * @param rejected selected clients whose update was not folded, with the reason
 * @param flags what robust rules or the contribution check said about clients (down-weighted, clipped, free-rider)
 * @param contributionMethod how scores were computed ({@code loo}, {@code exact}, ...; empty: none)
 * @param contributions each participant's score and reward this round (empty when not scored)
 * @param epsilonSpent privacy budget spent so far (NaN: no differential privacy)
 */
public record RoundEntry(int round, byte[] configHash, byte[] modelBefore, byte[] modelAfter,
    List<Participant> participants, List<Rejection> rejected, List<Flag> flags, String contributionMethod,
    List<Contribution> contributions, double epsilonSpent) {
  public RoundEntry {
    Checks.checkArgument(round >= 0, "round", ">= 0", round);
    configHash = digest(configHash, "configHash");
    modelBefore = digest(modelBefore, "modelBefore");
    modelAfter = digest(modelAfter, "modelAfter");
    participants = Block.copy(participants, "participants");
    rejected = Block.copy(rejected, "rejected");
    flags = Block.copy(flags, "flags");
    contributionMethod = Objects.requireNonNull(contributionMethod, "contributionMethod");
    contributions = Block.copy(contributions, "contributions");
  }

  private static byte[] digest(byte[] b, String name) {
    Checks.checkArgument(b != null && b.length == Digests.LENGTH, name, "32 bytes", b == null ? null : b.length);
    return b.clone();
  }

  @Override
  public byte[] configHash() {
    return configHash.clone();
  }

  @Override
  public byte[] modelBefore() {
    return modelBefore.clone();
  }

  @Override
  public byte[] modelAfter() {
    return modelAfter.clone();
  }

  /**
   * An accepted update.
   *
   * @param client the client's id
   * @param updateHash SHA-256 of the parameters it sent ({@link Digests#of})
   * @param examples example count it reported
   * @param clientKey the client's Ed25519 public key, X.509-encoded (empty: the client does not sign)
   * @param clientSignature its signature of {@link ClientSignatures#message(int, byte[])} (empty: unsigned)
   */
  public record Participant(String client, byte[] updateHash, long examples, byte[] clientKey,
      byte[] clientSignature) {
    public Participant {
      Objects.requireNonNull(client, "client");
      updateHash = digest(updateHash, "updateHash");
      Checks.checkArgument(examples >= 0, "examples", ">= 0", examples);
      clientKey = clientKey.clone();
      clientSignature = clientSignature.clone();
    }

    /** An unsigned participant. */
    public Participant(String client, byte[] updateHash, long examples) {
      this(client, updateHash, examples, new byte[0], new byte[0]);
    }

    @Override
    public byte[] updateHash() {
      return updateHash.clone();
    }

    @Override
    public byte[] clientKey() {
      return clientKey.clone();
    }

    @Override
    public byte[] clientSignature() {
      return clientSignature.clone();
    }

    public boolean signed() {
      return clientSignature.length > 0;
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Participant p && client.equals(p.client) && examples == p.examples
          && Arrays.equals(updateHash, p.updateHash) && Arrays.equals(clientKey, p.clientKey)
          && Arrays.equals(clientSignature, p.clientSignature);
    }

    @Override
    public int hashCode() {
      return Objects.hash(client, examples, Arrays.hashCode(updateHash));
    }
  }

  /** A selected client whose update was not folded. */
  public record Rejection(String client, String code, String reason) {
    public Rejection {
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(code, "code");
      Objects.requireNonNull(reason, "reason");
    }
  }

  /** What a rule said about a client ({@code rejected}, {@code down-weighted}, {@code clipped}, {@code free-rider}). */
  public record Flag(String client, String kind, String detail) {
    public Flag {
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(kind, "kind");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /** A participant's contribution score and reward this round. */
  public record Contribution(String client, double score, double reward) {
    public Contribution {
      Objects.requireNonNull(client, "client");
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof RoundEntry e && round == e.round && Arrays.equals(configHash, e.configHash)
        && Arrays.equals(modelBefore, e.modelBefore) && Arrays.equals(modelAfter, e.modelAfter)
        && participants.equals(e.participants) && rejected.equals(e.rejected) && flags.equals(e.flags)
        && contributionMethod.equals(e.contributionMethod) && contributions.equals(e.contributions)
        && Double.doubleToLongBits(epsilonSpent) == Double.doubleToLongBits(e.epsilonSpent);
  }

  @Override
  public int hashCode() {
    return Objects.hash(round, Arrays.hashCode(modelAfter), participants);
  }
}
