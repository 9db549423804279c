package dev.starling.vertical.psi;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECFieldElement;
import org.bouncycastle.math.ec.ECPoint;

/**
 * Hashing to the P-256 group: the suite {@code P256_XMD:SHA-256_SSWU_RO_} of RFC 9380 ("Hashing to Elliptic
 * Curves", section 8.2): {@code expand_message_xmd} with SHA-256 gives two field elements, each is mapped by
 * the simplified Shallue-van de Woestijne-Ulas map (section 6.6.2, Z = -10), and the two points are added
 * (P-256 has cofactor 1). The result is a random oracle into the group, so nobody knows the discrete log of
 * a hashed id, which the PSI's security needs (hashing to a scalar and multiplying the generator would not
 * do). BouncyCastle offers the curve arithmetic but no hash-to-curve, hence this class; the RFC's test
 * vectors are checked in {@code HashToCurveTest}. Thread-safe.
 */
public final class HashToCurve {
  /** P-256 as BouncyCastle's fast custom curve. */
  public static final X9ECParameters P256 = CustomNamedCurves.getByName("P-256");

  private static final ECCurve CURVE = P256.getCurve();
  private static final BigInteger P = CURVE.getField().getCharacteristic();
  private static final BigInteger A = CURVE.getA().toBigInteger();
  private static final BigInteger B = CURVE.getB().toBigInteger();
  private static final BigInteger Z = P.subtract(BigInteger.TEN);
  /** -B / A mod p. */
  private static final BigInteger MINUS_B_OVER_A = B.negate().multiply(A.modInverse(P)).mod(P);
  /** B / (Z A) mod p, for the exceptional case. */
  private static final BigInteger B_OVER_ZA = B.multiply(Z.multiply(A).modInverse(P)).mod(P);
  private static final ECFieldElement FZ = CURVE.fromBigInteger(Z);
  private static final ECFieldElement FMINUS_B_OVER_A = CURVE.fromBigInteger(MINUS_B_OVER_A);
  private static final ECFieldElement FB_OVER_ZA = CURVE.fromBigInteger(B_OVER_ZA);
  private static final int L = 48;

  private final byte[] dst;

  /** A hasher with domain-separation tag {@code dst} (RFC 9380 section 3.1; at most 255 bytes). */
  public HashToCurve(String dst) {
    this.dst = dst.getBytes(StandardCharsets.UTF_8);
    if (this.dst.length == 0 || this.dst.length > 255) {
      throw new IllegalArgumentException("hash-to-curve domain tag must have 1..255 bytes. Provided: " + this.dst.length);
    }
  }

  /** The curve point of {@code msg}, normalised. */
  public ECPoint hash(byte[] msg) {
    byte[] u = expandMessageXmd(msg, 2 * L);
    BigInteger u0 = new BigInteger(1, java.util.Arrays.copyOfRange(u, 0, L)).mod(P);
    BigInteger u1 = new BigInteger(1, java.util.Arrays.copyOfRange(u, L, 2 * L)).mod(P);
    return mapToCurve(u0).add(mapToCurve(u1)).normalize();
  }

  /** {@code expand_message_xmd} (RFC 9380 section 5.3.1) with SHA-256. */
  byte[] expandMessageXmd(byte[] msg, int lenInBytes) {
    MessageDigest h = sha256();
    int ell = (lenInBytes + 31) / 32;
    byte[] dstPrime = new byte[dst.length + 1];
    System.arraycopy(dst, 0, dstPrime, 0, dst.length);
    dstPrime[dst.length] = (byte) dst.length;
    h.update(new byte[64]);
    h.update(msg);
    h.update(new byte[] {(byte) (lenInBytes >>> 8), (byte) lenInBytes, 0});
    h.update(dstPrime);
    byte[] b0 = h.digest();
    byte[] out = new byte[ell * 32];
    byte[] prev = new byte[32];
    for (int i = 1; i <= ell; i++) {
      byte[] x = new byte[32];
      for (int j = 0; j < 32; j++) {
        x[j] = (byte) (b0[j] ^ (i == 1 ? 0 : prev[j]));
      }
      h.update(x);
      h.update((byte) i);
      h.update(dstPrime);
      prev = h.digest();
      System.arraycopy(prev, 0, out, (i - 1) * 32, 32);
    }
    return java.util.Arrays.copyOf(out, lenInBytes);
  }

  /**
   * The simplified SWU map (RFC 9380 section 6.6.2) of field element {@code u}, on BouncyCastle's P-256 field
   * arithmetic (its {@code sqrt} returns null for a non-square, which is the map's branch).
   */
  static ECPoint mapToCurve(BigInteger uValue) {
    ECFieldElement u = CURVE.fromBigInteger(uValue);
    ECFieldElement tv1 = FZ.multiply(u.square());
    ECFieldElement tv2 = tv1.square().add(tv1);
    ECFieldElement x1 = tv2.isZero() ? FB_OVER_ZA : FMINUS_B_OVER_A.multiply(CURVE.fromBigInteger(BigInteger.ONE).add(tv2.invert()));
    ECFieldElement x = x1;
    ECFieldElement y = g(x1).sqrt();
    if (y == null) {
      x = tv1.multiply(x1);
      y = g(x).sqrt();
    }
    if (u.testBitZero() != y.testBitZero()) {
      y = y.negate();
    }
    return CURVE.validatePoint(x.toBigInteger(), y.toBigInteger());
  }

  private static ECFieldElement g(ECFieldElement x) {
    return x.square().add(CURVE.getA()).multiply(x).add(CURVE.getB());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }
}
