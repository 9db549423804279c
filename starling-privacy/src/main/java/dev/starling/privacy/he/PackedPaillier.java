package dev.starling.privacy.he;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.Objects;

/**
 * Homomorphic aggregation of float vectors with {@link Paillier}, packing several fixed-point values
 * into each plaintext: value x becomes {@code round(x 2^f) + maxAbs 2^f} (non-negative), and
 * {@code slots = floor((bits(n) - 1) / slotBits)} of them sit side by side in one plaintext, each in a
 * slot wide enough that the sum of {@code maxClients} values cannot carry into its neighbour. Clients
 * {@link #encrypt}; the server {@link #add}s ciphertext vectors without any key; the key holder
 * {@link #decryptSum}s only the aggregate. With a 2048-bit key, 16 fractional bits, range +-8 and up to
 * 1024 clients, slots are 31 bits wide and 66 values share one ciphertext.
 *
 * <p>Thread-safe (immutable); encryption draws fresh randomness per ciphertext.
 */
public final class PackedPaillier {
  private final Paillier.PublicKey key;
  private final int fractionalBits;
  private final double maxAbs;
  private final int maxClients;
  private final int slotBits;
  private final int slots;
  private final long offset;

  public PackedPaillier(Paillier.PublicKey key, int fractionalBits, double maxAbs, int maxClients) {
    this.key = Objects.requireNonNull(key, "key");
    Checks.checkArgument(fractionalBits >= 0 && fractionalBits <= 40, "fractionalBits", "in [0, 40]", fractionalBits);
    Checks.checkPositive(maxAbs, "maxAbs");
    Checks.checkPositive(maxClients, "maxClients");
    this.fractionalBits = fractionalBits;
    this.maxAbs = maxAbs;
    this.maxClients = maxClients;
    this.offset = (long) Math.ceil(maxAbs * Math.scalb(1.0, fractionalBits));
    double maxSlotValue = (double) maxClients * 2 * offset;
    Checks.checkArgument(maxSlotValue < Math.scalb(1.0, 62), "maxClients * 2 * maxAbs * 2^fractionalBits", "< 2^62", maxSlotValue);
    this.slotBits = 64 - Long.numberOfLeadingZeros((long) maxSlotValue);
    this.slots = (key.bits() - 1) / slotBits;
  }

  /** Values per ciphertext. */
  public int slots() {
    return slots;
  }

  /** The most clients whose sum fits a slot. */
  public int maxClients() {
    return maxClients;
  }

  public int slotBits() {
    return slotBits;
  }

  /** Ciphertexts needed for {@code length} values. */
  public int ciphertexts(int length) {
    return (length + slots - 1) / slots;
  }

  /** Encrypts {@code x} (every {@code |x_i| <= maxAbs}, else INVALID_ARGUMENT naming the coordinate). */
  public BigInteger[] encrypt(float[] x, SecureRandom rng) {
    return encrypt(x, m -> key.encrypt(m, rng));
  }

  /**
   * As {@link #encrypt(float[], SecureRandom)} with {@code encryptor}'s short fixed-base randomness (several
   * times faster per ciphertext; see {@link FixedBaseEncryptor} for the assumption it adds). The encryptor
   * must be for this key.
   */
  public BigInteger[] encrypt(float[] x, FixedBaseEncryptor encryptor, SecureRandom rng) {
    Checks.checkArgument(encryptor.publicKey().n().equals(key.n()), "fixed-base encryptor", "for this public key",
        encryptor.publicKey().bits() + "-bit key of another modulus");
    return encrypt(x, m -> encryptor.encrypt(m, rng));
  }

  private BigInteger[] encrypt(float[] x, java.util.function.UnaryOperator<BigInteger> enc) {
    double scale = Math.scalb(1.0, fractionalBits);
    BigInteger[] out = new BigInteger[ciphertexts(x.length)];
    for (int c = 0; c < out.length; c++) {
      BigInteger m = BigInteger.ZERO;
      int start = c * slots;
      int end = Math.min(x.length, start + slots);
      for (int i = end - 1; i >= start; i--) {
        if (!(Math.abs(x[i]) <= maxAbs)) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, "coordinate " + i + " = " + x[i] + " is outside the"
              + " Paillier encoding range [-" + maxAbs + ", " + maxAbs + "]");
        }
        long v = Math.round(x[i] * scale) + offset;
        m = m.shiftLeft(slotBits).or(BigInteger.valueOf(v));
      }
      out[c] = enc.apply(m);
    }
    return out;
  }

  /** The ciphertext vector of the sum: {@code a[i] * b[i] mod n^2}. */
  public BigInteger[] add(BigInteger[] a, BigInteger[] b) {
    Checks.checkArgument(a.length == b.length, "ciphertext vector length", "equal (" + a.length + ")", b.length);
    BigInteger[] out = new BigInteger[a.length];
    for (int i = 0; i < a.length; i++) {
      out[i] = key.add(a[i], b[i]);
    }
    return out;
  }

  /** Decrypts the sum of {@code clients <= maxClients} encrypted vectors of {@code length} values. */
  public double[] decryptSum(BigInteger[] sum, Paillier.PrivateKey priv, int clients, int length) {
    Checks.checkArgument(clients >= 1 && clients <= maxClients, "clients", "in [1, " + maxClients + "]", clients);
    double inv = Math.scalb(1.0, -fractionalBits);
    BigInteger mask = BigInteger.ONE.shiftLeft(slotBits).subtract(BigInteger.ONE);
    double[] out = new double[length];
    for (int c = 0; c < sum.length; c++) {
      BigInteger m = priv.decrypt(sum[c]);
      int start = c * slots;
      int end = Math.min(length, start + slots);
      for (int i = start; i < end; i++) {
        long v = m.and(mask).longValueExact();
        out[i] = (v - (long) clients * offset) * inv;
        m = m.shiftRight(slotBits);
      }
    }
    return out;
  }
}
