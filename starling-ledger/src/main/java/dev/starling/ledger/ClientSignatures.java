package dev.starling.ledger;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/** What a client signs for the ledger: the round and the SHA-256 of the update it sends. */
public final class ClientSignatures {
  private static final byte[] DOMAIN = "starling-update-v1".getBytes(StandardCharsets.US_ASCII);

  private ClientSignatures() {}

  /** The signed message: the domain tag {@code starling-update-v1}, the round (i32) and the update's digest. */
  public static byte[] message(int round, byte[] updateHash) {
    return ByteBuffer.allocate(DOMAIN.length + 4 + updateHash.length).put(DOMAIN).putInt(round).put(updateHash).array();
  }

  public static byte[] sign(Ed25519 key, int round, byte[] updateHash) {
    return key.sign(message(round, updateHash));
  }

  /** The same with a bare private key (a client's PEM identity key, as secure aggregation's secagg-auth uses). */
  public static byte[] sign(java.security.PrivateKey key, int round, byte[] updateHash) {
    try {
      java.security.Signature s = java.security.Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(message(round, updateHash));
      return s.sign();
    } catch (java.security.GeneralSecurityException e) {
      throw new IllegalArgumentException("cannot sign with this key (an Ed25519 private key is needed): " + e.getMessage(), e);
    }
  }

  public static boolean verify(byte[] clientKey, int round, byte[] updateHash, byte[] signature) {
    return Ed25519.verify(clientKey, message(round, updateHash), signature);
  }
}
