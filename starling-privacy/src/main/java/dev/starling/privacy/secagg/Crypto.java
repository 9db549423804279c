package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
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
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.generators.HKDFBytesGenerator;
import org.bouncycastle.crypto.params.HKDFParameters;
import org.bouncycastle.math.ec.rfc7748.X25519;

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
    return agree(scalar(mine), rawPublic(theirs.getEncoded()), label);
  }

  /**
   * As {@link #agree(PrivateKey, PublicKey, String)} on raw keys: {@code scalar} the 32-byte private key
   * (RFC 7748 encoding), {@code u} the 32-byte public key ({@link #rawPublic}). X25519 is BouncyCastle's
   * constant-time implementation (the same function as the JDK's XDH, on raw keys: no key objects to parse per
   * agreement); a public key of small order (all-zero shared secret) is refused.
   */
  static byte[] agree(byte[] scalar, byte[] u, String label) {
    byte[] shared = new byte[X25519.POINT_SIZE];
    if (scalar.length != X25519.SCALAR_SIZE || u.length != X25519.POINT_SIZE
        || !X25519.calculateAgreement(scalar, 0, u, 0, shared, 0)) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "X25519 key agreement failed (malformed or small-order key)");
    }
    return hkdf(shared, null, (INFO_PREFIX + label).getBytes(StandardCharsets.UTF_8), 32);
  }

  /** DER prefix of an X.509 SubjectPublicKeyInfo holding an X25519 key (RFC 8410): 12 bytes, then the 32-byte key. */
  private static final byte[] X25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b656e032100");

  /** The raw 32-byte public key inside an X.509-encoded X25519 public key; INVALID_ARGUMENT if it is not one. */
  static byte[] rawPublic(byte[] x509) {
    int p = X25519_SPKI_PREFIX.length;
    if (x509 == null || x509.length != p + X25519.POINT_SIZE || !Arrays.equals(x509, 0, p, X25519_SPKI_PREFIX, 0, p)) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "malformed X25519 public key");
    }
    return Arrays.copyOfRange(x509, p, x509.length);
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
    new MaskStream().add(acc, 0, acc.length, seed, sign);
  }

  /**
   * Expands masks: AES-256-CTR key stream (zero IV, so word {@code i} of the mask is in counter block
   * {@code i / 4}) read as little-endian 32-bit words, added to a range of an accumulator. A range may start
   * at any multiple of 4 words (the counter is set to the block there), so a long vector can be unmasked in
   * independent chunks, in parallel, with the same result as one pass. The words are copied out of the key
   * stream in bulk and added by a plain {@code int[]} loop (no per-element buffer calls). One per thread.
   */
  static final class MaskStream {
    private static final int WORDS = 1 << 12;
    private final Cipher cipher;
    private final byte[] zeros = new byte[WORDS * 4];
    private final byte[] stream = new byte[WORDS * 4];
    private final IntBuffer streamWords = ByteBuffer.wrap(stream).order(ByteOrder.LITTLE_ENDIAN).asIntBuffer();
    private final int[] words = new int[WORDS];
    private final byte[] iv = new byte[16];

    MaskStream() {
      try {
        cipher = Cipher.getInstance("AES/CTR/NoPadding");
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES/CTR unavailable in this JDK", e);
      }
    }

    /** Adds {@code sign * PRG(seed)[from, to)} to {@code acc[from, to)}; {@code from} must be a multiple of 4. */
    void add(int[] acc, int from, int to, byte[] seed, int sign) {
      Checks.checkArgument(from % 4 == 0, "mask range start", "a multiple of 4 words", from);
      long block = from / 4;
      Arrays.fill(iv, (byte) 0);
      for (int i = 0; i < 8; i++) {
        iv[15 - i] = (byte) (block >>> (8 * i));
      }
      try {
        cipher.init(Cipher.ENCRYPT_MODE, new SecretKeySpec(seed, "AES"), new IvParameterSpec(iv));
        for (int off = from; off < to; off += WORDS) {
          int n = Math.min(WORDS, to - off);
          cipher.update(zeros, 0, n * 4, stream, 0);
          streamWords.get(0, words, 0, n);
          if (sign > 0) {
            for (int i = 0; i < n; i++) {
              acc[off + i] += words[i];
            }
          } else {
            for (int i = 0; i < n; i++) {
              acc[off + i] -= words[i];
            }
          }
        }
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException(e);
      }
    }
  }
}
