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

  /**
   * The bytes a survivor signs in the consistency check: a digest of the key directory it was sent, then the
   * sorted dropped and surviving lists. Signing the directory too means a server that showed different
   * clients different directories (equivocation: leaving a client out of some, reordering who is whose
   * neighbour) cannot collect t signatures that verify for every client, so no client reveals shares.
   */
  static byte[] survivorsMessage(byte[] directoryDigest, Set<Integer> dropped, Set<Integer> survivors) {
    ByteBuffer b = ByteBuffer.allocate(64 + directoryDigest.length + 4 * (dropped.size() + survivors.size()));
    b.put("secagg-u3-v2".getBytes(StandardCharsets.US_ASCII));
    b.putInt(directoryDigest.length).put(directoryDigest);
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

  /** SHA-256 over everything a key directory says (parameters and every client's keys, in client order). */
  static byte[] digest(SecAggMessages.KeyDirectory dir) {
    try {
      java.security.MessageDigest md = java.security.MessageDigest.getInstance("SHA-256");
      md.update(ByteBuffer.allocate(16).putInt(dir.threshold()).putInt(dir.neighbours()).putLong(dir.graphSeed()).array());
      for (SecAggMessages.AdvertiseKeys k : new java.util.TreeMap<>(dir.keys()).values()) {
        md.update(keysMessage(k.client(), k.encryptionKey(), k.maskKey()));
      }
      return md.digest();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("SHA-256 unavailable in this JDK", e);
    }
  }

  /**
   * An Ed25519 public key from PEM ({@code -----BEGIN PUBLIC KEY-----}, X.509 SubjectPublicKeyInfo, as
   * {@code openssl pkey -pubout} writes it). {@code source} names the file in errors (INVALID_ARGUMENT).
   */
  public static PublicKey publicKeyFromPem(String pem, String source) {
    try {
      return java.security.KeyFactory.getInstance("Ed25519")
          .generatePublic(new java.security.spec.X509EncodedKeySpec(pemBody(pem, "PUBLIC KEY", source)));
    } catch (GeneralSecurityException e) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": not an Ed25519 public key (" + e.getMessage() + ")");
    }
  }

  /**
   * An Ed25519 private key from PEM ({@code -----BEGIN PRIVATE KEY-----}, PKCS#8, as
   * {@code openssl genpkey -algorithm ed25519} writes it).
   */
  public static PrivateKey privateKeyFromPem(String pem, String source) {
    try {
      return java.security.KeyFactory.getInstance("Ed25519")
          .generatePrivate(new java.security.spec.PKCS8EncodedKeySpec(pemBody(pem, "PRIVATE KEY", source)));
    } catch (GeneralSecurityException e) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": not an Ed25519 private key (" + e.getMessage() + ")");
    }
  }

  /** PEM text of a key ({@code PUBLIC KEY} or {@code PRIVATE KEY}), readable by OpenSSL and the methods above. */
  public static String toPem(java.security.Key key) {
    String type = key instanceof PrivateKey ? "PRIVATE KEY" : "PUBLIC KEY";
    return "-----BEGIN " + type + "-----\n"
        + java.util.Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
        + "\n-----END " + type + "-----\n";
  }

  /**
   * The identity key pair of a client: its private key and its public key as registered (the PKI's copy).
   * Throws INVALID_ARGUMENT if they do not belong together (a signature by one does not verify with the other).
   */
  public static KeyPair identity(PrivateKey privateKey, PublicKey registered, String what) {
    byte[] probe = "starling-secagg-identity-check".getBytes(StandardCharsets.US_ASCII);
    SecAggAuth check = new SecAggAuth(null, Map.of(0, registered));
    if (!check.verify(0, probe, sign(privateKey, probe))) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, what + ": the private key does not match the registered public key");
    }
    return new KeyPair(registered, privateKey);
  }

  private static byte[] pemBody(String pem, String type, String source) {
    String begin = "-----BEGIN " + type + "-----";
    String end = "-----END " + type + "-----";
    int b = pem.indexOf(begin);
    int e = pem.indexOf(end);
    if (b < 0 || e < b) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": expected a PEM block '" + begin + "' ... '" + end + "'");
    }
    try {
      return java.util.Base64.getMimeDecoder().decode(pem.substring(b + begin.length(), e));
    } catch (IllegalArgumentException ex) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": bad base64 in the PEM block (" + ex.getMessage() + ")");
    }
  }

  /** Verifies a client's signed round-0 keys (server side and client side alike). */
  boolean verifies(SecAggMessages.AdvertiseKeys k) {
    return verify(k.client(), keysMessage(k.client(), k.encryptionKey(), k.maskKey()), k.signature());
  }
}
