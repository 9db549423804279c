package dev.starling.privacy.secagg;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.IntBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.interfaces.XECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.security.spec.XECPrivateKeySpec;
import javax.crypto.Cipher;
import javax.crypto.KeyAgreement;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;

/**
 * The primitives secure aggregation uses: X25519 key agreement (RFC 7748), key derivation by HKDF-SHA256
 * (RFC 5869, extract then expand, BouncyCastle's {@link HKDFBytesGenerator}) with a domain-separating info
 * string ({@link #INFO_PREFIX} plus the key's purpose), AES-256-GCM for the share envelopes and AES-256-CTR
 * as the mask PRG (the key stream of a zero IV, read as little-endian 32-bit integers). Protocol
 * {@code secagg/1} derived keys as {@code HMAC-SHA256(shared secret, label)} (one expand block without the
 * extract step); {@code secagg/2} ({@link SecAggWire#PROTOCOL}) uses full HKDF, so the two cannot share a
 * round. Thread-safe.
 */
final class Crypto {
  private Crypto() {}

  static KeyPair x25519(SecureRandom rng) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
      g.initialize(NamedParameterSpec.X25519, rng);
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("X25519 unavailable in this JDK", e);
    }
  }

  static PublicKey publicKey(byte[] x509) {
    try {
      return KeyFactory.getInstance("XDH").generatePublic(new X509EncodedKeySpec(x509));
    } catch (GeneralSecurityException e) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "malformed X25519 public key", e);
    }
  }

  static byte[] scalar(PrivateKey k) {
    return ((XECPrivateKey) k).getScalar().orElseThrow(() -> new IllegalStateException("X25519 key without scalar"));
  }

  static PrivateKey privateKey(byte[] scalar) {
    try {
      return KeyFactory.getInstance("XDH").generatePrivate(new XECPrivateKeySpec(NamedParameterSpec.X25519, scalar));
    } catch (GeneralSecurityException e) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "malformed X25519 private key", e);
    }
  }

  /** Prefix of every HKDF info string: protocol and version, so keys of other protocols never coincide. */
  static final String INFO_PREFIX = "starling " + SecAggWire.PROTOCOL + " ";

  /**
   * HKDF-SHA256(salt none, ikm X25519(mine, theirs), info {@code INFO_PREFIX + label}): a 32-byte key both
   * sides derive.
   */
  static byte[] agree(PrivateKey mine, PublicKey theirs, String label) {
    try {
      KeyAgreement ka = KeyAgreement.getInstance("X25519");
      ka.init(mine);
      ka.doPhase(theirs, true);
      return hkdf(ka.generateSecret(), null, (INFO_PREFIX + label).getBytes(StandardCharsets.UTF_8), 32);
    } catch (GeneralSecurityException e) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "X25519 key agreement failed", e);
    }
  }

  /** HKDF-SHA256 (RFC 5869): extract with {@code salt} (null = none), expand to {@code length} bytes with {@code info}. */
  static byte[] hkdf(byte[] ikm, byte[] salt, byte[] info, int length) {
    HKDFBytesGenerator g = new HKDFBytesGenerator(new SHA256Digest());
    g.init(new HKDFParameters(ikm, salt, info));
    byte[] out = new byte[length];
    g.generateBytes(out, 0, length);
    return out;
  }

  /** AES-GCM encryption: 12-byte random nonce followed by ciphertext and tag. */
  static byte[] seal(byte[] key, byte[] plain, byte[] aad, SecureRandom rng) {
    try {
      byte[] nonce = new byte[12];
      rng.nextBytes(nonce);
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, nonce));
      c.updateAAD(aad);
      byte[] ct = c.doFinal(plain);
      return ByteBuffer.allocate(12 + ct.length).put(nonce).put(ct).array();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }

  static byte[] open(byte[] key, byte[] sealed, byte[] aad) {
    try {
      Cipher c = Cipher.getInstance("AES/GCM/NoPadding");
      c.init(Cipher.DECRYPT_MODE, new SecretKeySpec(key, "AES"), new GCMParameterSpec(128, sealed, 0, 12));
      c.updateAAD(aad);
      return c.doFinal(sealed, 12, sealed.length - 12);
    } catch (GeneralSecurityException e) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, "share envelope failed authentication", e);
    }
  }

  /** Adds {@code sign * PRG(seed)} to {@code acc} (mod 2^32), the PRG being AES-256-CTR's key stream. */
  static void addMask(int[] acc, byte[] seed, int sign) {
    try {
      Cipher c = Cipher.getInstance("AES/CTR/NoPadding");
      c.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(new byte[16]));
      int chunk = 1 << 14;
      byte[] zeros = new byte[chunk * 4];
      byte[] out = new byte[chunk * 4];
      for (int off = 0; off < acc.length; off += chunk) {
        int n = Math.min(chunk, acc.length - off);
        c.update(zeros, 0, n * 4, out, 0);
        IntBuffer ib = ByteBuffer.wrap(out, 0, n * 4).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
        if (sign > 0) {
          for (int i = 0; i < n; i++) {
            acc[off + i] += ib.get(i);
          }
        } else {
          for (int i = 0; i < n; i++) {
            acc[off + i] -= ib.get(i);
          }
        }
      }
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException(e);
    }
  }
}
