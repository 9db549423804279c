package dev.starling.privacy.secagg;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Authentication for secure aggregation against a server that deviates from the protocol (the
 * "active" variant of Bonawitz et al. 2017): every client has a long-term Ed25519 identity key whose
 * public half everyone knows from a PKI (here: the map given at construction). Clients sign their
 * round-0 keys, so the server cannot substitute its own keys and read the shares; and before revealing
 * shares each client checks that at least t survivors signed the same survivor list, so the server
 * cannot tell different clients different stories about who dropped out (which would let it collect
 * both secrets of one client). Immutable and thread-safe.
 *
 * @param identity this client's identity key pair (null on the server)
 * @param directory every client's identity public key
 */
public record SecAggAuth(KeyPair identity, Map<Integer, PublicKey> directory) {
  public SecAggAuth {
    directory = Map.copyOf(Objects.requireNonNull(directory, "directory"));
  }

  /** A fresh Ed25519 identity key pair. */
  public static KeyPair newIdentity(SecureRandom rng) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(255, rng);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 unavailable in this JDK", e);
    }
  }

  byte[] sign(byte[] message) {
    Objects.requireNonNull(identity, "identity key");
    return sign(identity.getPrivate(), message);
  }

  boolean verify(int client, byte[] message, byte[] signature) {
    PublicKey pk = directory.get(client);
    if (pk == null || signature.length == 0) {
      return false;
    }
    try {
      Signature v = Signature.getInstance("Ed25519");
      v.initVerify(pk);
      v.update(message);
      return v.verify(signature);
    } catch (GeneralSecurityException e) {
      return false;
    }
  }

  static byte[] sign(PrivateKey key, byte[] message) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(key);
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new FlException(ErrorCode.INTERNAL, "Ed25519 signing failed", e);
    }
  }

  /** The bytes a client signs in round 0. */
  static byte[] keysMessage(int client, byte[] encryptionKey, byte[] maskKey) {
    return ByteBuffer.allocate(32 + encryptionKey.length + maskKey.length)
        .put("secagg-keys-v1".getBytes(StandardCharsets.US_ASCII)).putInt(client)
        .putInt(encryptionKey.length).put(encryptionKey).putInt(maskKey.length).put(maskKey).array();
  }

  /** The bytes a survivor signs in the consistency check: the sorted dropped and surviving lists. */
  static byte[] survivorsMessage(Set<Integer> dropped, Set<Integer> survivors) {
    ByteBuffer b = ByteBuffer.allocate(32 + 4 * (dropped.size() + survivors.size()));
    b.put("secagg-u3-v1".getBytes(StandardCharsets.US_ASCII));
    b.putInt(dropped.size());
    for (int v : new TreeSet<>(dropped)) {
      b.putInt(v);
    }
    b.putInt(survivors.size());
    for (int v : new TreeSet<>(survivors)) {
      b.putInt(v);
    }
    return java.util.Arrays.copyOf(b.array(), b.position());
  }
}
