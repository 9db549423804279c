package dev.starling.privacy.secagg;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Shamir's t-out-of-n secret sharing (Shamir, "How to Share a Secret", CACM 1979) of byte strings up to
 * 64 bytes over the prime field GF(2^521 - 1): the secret is the constant term of a random polynomial of
 * degree t - 1, share i is its value at x = i. Any t shares give the secret by Lagrange interpolation at
 * 0; fewer reveal nothing about it. Thread-safe.
 */
public final class Shamir {
  /** The Mersenne prime 2^521 - 1. */
  static final BigInteger P = BigInteger.ONE.shiftLeft(521).subtract(BigInteger.ONE);

  private Shamir() {}

  /** One share: the polynomial's value {@code y} at {@code x >= 1}. */
  public record Share(int x, BigInteger y) {
    public Share {
      Checks.checkPositive(x, "share x");
    }

    /** Bytes on the wire: 4 for x, 66 for y. */
    public int wireBytes() {
      return 4 + 66;
    }
  }

  /** {@code v mod P} for {@code v >= 0}, by the Mersenne folding {@code v = (v & P) + (v >> 521)}. */
  static BigInteger reduce(BigInteger v) {
    while (v.bitLength() > 521) {
      v = v.and(P).add(v.shiftRight(521));
    }
    return v.compareTo(P) >= 0 ? v.subtract(P) : v;
  }

  /** Splits {@code secret} (at most 64 bytes) into shares at the points {@code xs}, any {@code t} of which recover it. */
  public static List<Share> split(byte[] secret, int t, int[] xs, SecureRandom rng) {
    Checks.checkArgument(secret.length <= 64, "secret length", "<= 64 bytes", secret.length);
    Checks.checkArgument(t >= 1 && t <= xs.length, "threshold", "in [1, " + xs.length + "]", t);
    BigInteger[] coef = new BigInteger[t];
    coef[0] = new BigInteger(1, secret);
    for (int i = 1; i < t; i++) {
      coef[i] = new BigInteger(P.bitLength() + 64, rng).mod(P);
    }
    List<Share> out = new ArrayList<>(xs.length);
    for (int x : xs) {
      BigInteger bx = BigInteger.valueOf(x);
      BigInteger y = BigInteger.ZERO;
      for (int i = t - 1; i >= 0; i--) {
        y = reduce(y.multiply(bx).add(coef[i]));
      }
      out.add(new Share(x, y));
    }
    return out;
  }

  /**
   * Recovers a secret of {@code length} bytes from at least {@code t} shares with distinct x. Throws
   * {@link FlException} QUORUM_NOT_MET with fewer than t shares: they determine nothing.
   */
  public static byte[] combine(List<Share> shares, int t, int length) {
    Set<Integer> xs = new HashSet<>();
    List<Share> use = new ArrayList<>();
    for (Share s : shares) {
      if (xs.add(s.x()) && use.size() < t) {
        use.add(s);
      }
    }
    if (use.size() < t) {
      throw new FlException(ErrorCode.QUORUM_NOT_MET, "need " + t + " distinct shares to reconstruct, have " + use.size());
    }
    // Lagrange at 0: secret = sum_i y_i num_i / den_i with num_i = prod_{j != i} x_j and
    // den_i = prod_{j != i} (x_j - x_i). The x are small integers, so num_i and den_i are products of small
    // factors (no reduction needed until the end); the t divisions are one batch inversion (Montgomery's
    // trick: one modInverse and 3(t - 1) multiplications) instead of t modInverses.
    int m = use.size();
    BigInteger[] num = new BigInteger[m];
    BigInteger[] den = new BigInteger[m];
    for (int i = 0; i < m; i++) {
      long xi = use.get(i).x();
      BigInteger nu = BigInteger.ONE;
      BigInteger de = BigInteger.ONE;
      long nAcc = 1;
      long dAcc = 1;
      for (int j = 0; j < m; j++) {
        if (i != j) {
          long xj = use.get(j).x();
          // accumulate in longs while they cannot overflow (|factors| < 2^31, so products of two fit)
          if (Math.abs(nAcc) >= (1L << 31) || Math.abs(dAcc) >= (1L << 31)) {
            nu = nu.multiply(BigInteger.valueOf(nAcc));
            de = de.multiply(BigInteger.valueOf(dAcc));
            nAcc = 1;
            dAcc = 1;
          }
          nAcc *= xj;
          dAcc *= xj - xi;
        }
      }
      num[i] = reduce(nu.multiply(BigInteger.valueOf(nAcc)).mod(P));
      den[i] = de.multiply(BigInteger.valueOf(dAcc)).mod(P);
    }
    BigInteger[] prefix = new BigInteger[m];
    BigInteger run = BigInteger.ONE;
    for (int i = 0; i < m; i++) {
      prefix[i] = run;
      run = reduce(run.multiply(den[i]));
    }
    BigInteger inv = run.modInverse(P);
    BigInteger secret = BigInteger.ZERO;
    for (int i = m - 1; i >= 0; i--) {
      BigInteger denInv = reduce(inv.multiply(prefix[i]));
      inv = reduce(inv.multiply(den[i]));
      secret = secret.add(reduce(reduce(use.get(i).y().multiply(num[i])).multiply(denInv)));
    }
    secret = reduce(secret);
    byte[] raw = secret.toByteArray();
    Checks.checkState(raw.length <= length + 1, "reconstructed secret longer than " + length + " bytes: shares are inconsistent");
    byte[] out = new byte[length];
    int copy = Math.min(raw.length, length);
    System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
    return out;
  }
}
