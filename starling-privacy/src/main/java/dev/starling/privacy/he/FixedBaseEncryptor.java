package dev.starling.privacy.he;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * Faster Paillier encryption with short randomness on a fixed base, as in Damgard, Jurik and Nielsen ("A
 * generalization of Paillier's public-key system with applications to electronic voting", IJIS 2010,
 * section 4.2): instead of {@code r^n mod n^2} for a fresh full-size {@code r} (a 2048-bit exponent per
 * ciphertext), the encryptor draws once {@code x} in Z_n^*, fixes {@code hs = (-x^2 mod n)^n mod n^2}, and
 * encrypts {@code c = (1 + m n) hs^a mod n^2} with a fresh {@code a} of {@code ceil(bits(n) / 2)} bits. The
 * ciphertexts are ordinary Paillier ciphertexts ({@code hs^a} is an n-th power): the same key decrypts them
 * and they add to ciphertexts of {@link Paillier.PublicKey#encrypt}. Their semantic security rests on the
 * decisional composite residuosity assumption plus the assumption that the short exponent hides {@code a}
 * in the subgroup of {@code hs} (the assumption of DJN's scheme), not on DCR alone.
 *
 * <p>{@code hs^a} is computed by fixed-base windowing: a table of {@code hs^(d 2^(w i))} for every w-bit digit
 * d and digit position i (w = {@value #WINDOW}; 128 rows of 256 entries, about 16 MB for a 2048-bit key, built
 * once), so one encryption costs about {@code bits(n) / (2 w)} multiplications mod n^2 instead of a full
 * modular exponentiation. Thread-safe once built (the table is read-only).
 */
public final class FixedBaseEncryptor {
  /** Bits per exponent digit of the table. */
  static final int WINDOW = 8;

  private final Paillier.PublicKey key;
  private final int exponentBits;
  private final BigInteger[][] table;

  /** Draws the fixed base from {@code rng} and builds the table (the costly step: once per key). */
  public FixedBaseEncryptor(Paillier.PublicKey key, SecureRandom rng) {
    this.key = Objects.requireNonNull(key, "key");
    BigInteger n = key.n();
    BigInteger x;
    do {
      x = new BigInteger(n.bitLength(), rng);
    } while (x.signum() == 0 || x.compareTo(n) >= 0 || !x.gcd(n).equals(BigInteger.ONE));
    BigInteger h = n.subtract(x.multiply(x).mod(n));
    BigInteger hs = h.modPow(n, key.nSquared());
    this.exponentBits = (n.bitLength() + 1) / 2;
    int rows = (exponentBits + WINDOW - 1) / WINDOW;
    this.table = new BigInteger[rows][1 << WINDOW];
    BigInteger base = hs;
    BigInteger n2 = key.nSquared();
    for (int i = 0; i < rows; i++) {
      BigInteger[] row = table[i];
      row[0] = BigInteger.ONE;
      for (int d = 1; d < row.length; d++) {
        row[d] = row[d - 1].multiply(base).mod(n2);
      }
      base = row[row.length - 1].multiply(base).mod(n2); // base^(2^w)
    }
  }

  public Paillier.PublicKey publicKey() {
    return key;
  }

  /** Bits of the random exponent a. */
  public int exponentBits() {
    return exponentBits;
  }

  /** {@code E(m)} for {@code 0 <= m < n}: {@code (1 + m n) hs^a mod n^2}, a fresh from {@code rng}. */
  public BigInteger encrypt(BigInteger m, SecureRandom rng) {
    if (m.signum() < 0 || m.compareTo(key.n()) >= 0) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "Paillier plaintext must be in [0, n)");
    }
    BigInteger gm = BigInteger.ONE.add(m.multiply(key.n()));
    return gm.multiply(power(new BigInteger(exponentBits, rng))).mod(key.nSquared());
  }

  /** {@code hs^a mod n^2} for {@code 0 <= a < 2^exponentBits}, from the table. */
  BigInteger power(BigInteger a) {
    BigInteger acc = null;
    BigInteger n2 = key.nSquared();
    for (int i = 0; i < table.length; i++) {
      int d = 0;
      for (int b = WINDOW - 1; b >= 0; b--) {
        d = (d << 1) | (a.testBit(i * WINDOW + b) ? 1 : 0);
      }
      if (d != 0) {
        acc = acc == null ? table[i][d] : acc.multiply(table[i][d]).mod(n2);
      }
    }
    return acc == null ? BigInteger.ONE : acc;
  }

  /** {@code hs} itself (row 0, digit 1), for tests. */
  BigInteger base() {
    return table[0][1];
  }
}
