package dev.starling.ledger;

import dev.starling.core.error.Checks;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * One block of the ledger: what one aggregation did, chained to the block before it by {@link
 * #previousHash} and signed by the aggregator. Byte arrays are copied in and out; the canonical bytes
 * are {@link BlockCodec}'s.
 *
 * @param index position in the chain, from 0
 * @param previousHash SHA-256 of the previous block's canonical bytes (32 zero bytes for block 0)
 * @param timeMillis when the block was made, milliseconds since the epoch (from the ledger's clock)
 * @param body what the round did
 * @param signerKey the aggregator's Ed25519 public key, X.509-encoded
 * @param signature Ed25519 signature by {@code signerKey} of {@link BlockCodec#signedBytes}
 */
public record Block(long index, byte[] previousHash, long timeMillis, RoundEntry body, byte[] signerKey,
    byte[] signature) {
  public Block {
    Checks.checkArgument(index >= 0, "index", ">= 0", index);
    Checks.checkArgument(previousHash != null && previousHash.length == Digests.LENGTH, "previousHash",
        "32 bytes", previousHash == null ? null : previousHash.length);
    Objects.requireNonNull(body, "body");
    previousHash = previousHash.clone();
    signerKey = signerKey.clone();
    signature = signature.clone();
  }

  @Override
  public byte[] previousHash() {
    return previousHash.clone();
  }

  @Override
  public byte[] signerKey() {
    return signerKey.clone();
  }

  @Override
  public byte[] signature() {
    return signature.clone();
  }

  /** SHA-256 of this block's canonical bytes, signature included: what the next block chains to. */
  public byte[] hash() {
    return Digests.sha256(BlockCodec.encode(this));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Block b && index == b.index && timeMillis == b.timeMillis && body.equals(b.body)
        && Arrays.equals(previousHash, b.previousHash) && Arrays.equals(signerKey, b.signerKey)
        && Arrays.equals(signature, b.signature);
  }

  @Override
  public int hashCode() {
    return Objects.hash(index, timeMillis, body, Arrays.hashCode(previousHash), Arrays.hashCode(signature));
  }

  @Override
  public String toString() {
    return "Block[" + index + ", round " + body.round() + ", prev " + Digests.hex(previousHash).substring(0, 12) + "]";
  }

  /** Zero hash that block 0 chains to. */
  static byte[] genesisParent() {
    return new byte[Digests.LENGTH];
  }

  /** A list copy that refuses nulls. */
  static <T> List<T> copy(List<T> list, String name) {
    Objects.requireNonNull(list, name);
    return List.copyOf(list);
  }
}
