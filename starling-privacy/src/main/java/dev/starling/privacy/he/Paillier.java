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
 * separately). The decryption key can also be split among several key holders who must all take part
 * ({@link #splitKey}, n-of-n; t-of-n threshold decryption as in Damgard-Jurik is not implemented).
 * Thread-safe (immutable keys).
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

  /**
   * One holder's share of the decryption exponent {@code d} ({@code d = 0 mod lambda}, {@code d = 1 mod n},
   * so {@code c^d = 1 + m n mod n^2}). Alone it reveals nothing about m: the shares are uniform integers 128
   * bits longer than d, except the last, which makes them sum to d.
   */
  public record KeyShare(int index, BigInteger exponent, PublicKey publicKey) {
    /** This holder's partial decryption {@code c^{d_i} mod n^2}. */
    public BigInteger partialDecrypt(BigInteger c) {
      return c.modPow(exponent, publicKey.nSquared());
    }
  }

  /** Splits {@code key} into {@code holders >= 2} shares, all of which are needed to decrypt. */
  public static java.util.List<KeyShare> splitKey(PrivateKey key, int holders, SecureRandom rng) {
    Checks.checkArgument(holders >= 2, "key holders", ">= 2", holders);
    BigInteger n = key.pub.n();
    BigInteger pm1 = key.p.subtract(BigInteger.ONE);
    BigInteger qm1 = key.q.subtract(BigInteger.ONE);
    BigInteger lambda = pm1.multiply(qm1).divide(pm1.gcd(qm1));
    BigInteger d = lambda.multiply(lambda.modInverse(n)).mod(lambda.multiply(n));
    java.util.List<KeyShare> out = new java.util.ArrayList<>();
    BigInteger rest = d;
    for (int i = 1; i < holders; i++) {
      BigInteger di = new BigInteger(d.bitLength() + 128, rng);
      out.add(new KeyShare(i, di, key.pub));
      rest = rest.subtract(di);
    }
    out.add(new KeyShare(holders, rest, key.pub));
    return java.util.List.copyOf(out);
  }

  /** The plaintext from every holder's partial decryption of the same ciphertext. */
  public static BigInteger combine(PublicKey pub, java.util.List<BigInteger> partials) {
    BigInteger x = BigInteger.ONE;
    for (BigInteger p : partials) {
      x = x.multiply(p).mod(pub.nSquared());
    }
    return x.subtract(BigInteger.ONE).divide(pub.n()).mod(pub.n());
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
