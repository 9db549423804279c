package dev.starling.privacy.he;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.math.BigInteger;
import java.security.SecureRandom;

/**
 * The Paillier cryptosystem (Paillier, "Public-Key Cryptosystems Based on Composite Degree Residuosity
 * Classes", EUROCRYPT 1999) over {@link BigInteger}, with the usual choice {@code g = n + 1}: additively
 * homomorphic, {@code E(a) E(b) mod n^2 = E(a + b mod n)}.
 *
 * <p>No maintained Java Paillier library on Maven Central fitted (the ones there are unmaintained
 * research code), so this is the textbook scheme on the JDK's BigInteger: modulus n of at least 2048 bits
 * (refused otherwise; NIST SP 800-57 puts 2048-bit factoring-based keys at 112-bit security), primes
 * from {@link BigInteger#probablePrime} on a {@link SecureRandom}, encryption
 * {@code c = (1 + m n) r^n mod n^2} with fresh random {@code r}, decryption by the CRT (mod p^2 and q^2
 * separately). Single key holder: threshold decryption is not implemented. Thread-safe (immutable keys).
 */
public final class Paillier {
  /** The smallest accepted modulus size. */
  public static final int MIN_BITS = 2048;

  private Paillier() {}

  /** A public key: the modulus n. */
  public record PublicKey(BigInteger n, BigInteger nSquared) {
    public PublicKey(BigInteger n) {
      this(n, n.multiply(n));
    }

    /** Bits of n. */
    public int bits() {
      return n.bitLength();
    }

    /** {@code E(m)} for {@code 0 <= m < n}. */
    public BigInteger encrypt(BigInteger m, SecureRandom rng) {
      if (m.signum() < 0 || m.compareTo(n) >= 0) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, "Paillier plaintext must be in [0, n)");
      }
      BigInteger r;
      do {
        r = new BigInteger(n.bitLength(), rng);
      } while (r.signum() == 0 || r.compareTo(n) >= 0 || !r.gcd(n).equals(BigInteger.ONE));
      BigInteger gm = BigInteger.ONE.add(m.multiply(n)).mod(nSquared);
      return gm.multiply(r.modPow(n, nSquared)).mod(nSquared);
    }

    /** {@code E(a + b)} from {@code E(a)} and {@code E(b)}. */
    public BigInteger add(BigInteger ca, BigInteger cb) {
      return ca.multiply(cb).mod(nSquared);
    }

    /** Bytes of one ciphertext on the wire. */
    public int ciphertextBytes() {
      return (nSquared.bitLength() + 7) / 8;
    }
  }

  /** A private key, with the CRT precomputation. */
  public static final class PrivateKey {
    private final PublicKey pub;
    private final BigInteger p;
    private final BigInteger q;
    private final BigInteger pSquared;
    private final BigInteger qSquared;
    private final BigInteger hp;
    private final BigInteger hq;
    private final BigInteger qInvP;

    PrivateKey(PublicKey pub, BigInteger p, BigInteger q) {
      this.pub = pub;
      this.p = p;
      this.q = q;
      this.pSquared = p.multiply(p);
      this.qSquared = q.multiply(q);
      BigInteger g = pub.n().add(BigInteger.ONE);
      this.hp = lFunction(g.modPow(p.subtract(BigInteger.ONE), pSquared), p).modInverse(p);
      this.hq = lFunction(g.modPow(q.subtract(BigInteger.ONE), qSquared), q).modInverse(q);
      this.qInvP = q.modInverse(p);
    }

    public PublicKey publicKey() {
      return pub;
    }

    /** {@code m} from {@code E(m)}. */
    public BigInteger decrypt(BigInteger c) {
      BigInteger mp = lFunction(c.mod(pSquared).modPow(p.subtract(BigInteger.ONE), pSquared), p).multiply(hp).mod(p);
      BigInteger mq = lFunction(c.mod(qSquared).modPow(q.subtract(BigInteger.ONE), qSquared), q).multiply(hq).mod(q);
      // CRT: m = mq + q * ((mp - mq) * q^-1 mod p)
      return mq.add(q.multiply(mp.subtract(mq).multiply(qInvP).mod(p)));
    }

    private static BigInteger lFunction(BigInteger x, BigInteger m) {
      return x.subtract(BigInteger.ONE).divide(m);
    }
  }

  /** A key pair. */
  public record KeyPair(PublicKey publicKey, PrivateKey privateKey) {}

  /** Generates a key pair with an n of {@code bits >= 2048} bits. */
  public static KeyPair generate(int bits, SecureRandom rng) {
    Checks.checkArgument(bits >= MIN_BITS, "Paillier modulus bits", ">= " + MIN_BITS, bits);
    while (true) {
      BigInteger p = BigInteger.probablePrime(bits / 2, rng);
      BigInteger q = BigInteger.probablePrime(bits - bits / 2, rng);
      if (p.equals(q)) {
        continue;
      }
      BigInteger n = p.multiply(q);
      if (n.bitLength() != bits) {
        continue;
      }
      BigInteger phi = p.subtract(BigInteger.ONE).multiply(q.subtract(BigInteger.ONE));
      if (!n.gcd(phi).equals(BigInteger.ONE)) {
        continue;
      }
      PublicKey pub = new PublicKey(n);
      return new KeyPair(pub, new PrivateKey(pub, p, q));
    }
  }
}
