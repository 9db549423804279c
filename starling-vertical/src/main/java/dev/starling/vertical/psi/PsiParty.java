package dev.starling.vertical.psi;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.stream.IntStream;
import org.bouncycastle.math.ec.ECCurve;
import org.bouncycastle.math.ec.ECPoint;

/**
 * One party's half of the ECDH private set intersection (Meadows 1986; Huberman, Franklin and Hogg 1999; the
 * "DH-PSI" of Google's Private Join and Compute): each id is hashed to a P-256 point ({@link HashToCurve}),
 * raised to this party's secret scalar {@code k}, and sent in a random order; the other parties raise what
 * they receive to their own scalars, so every set ends up blinded by all keys, where equal ids give equal
 * points and nothing else matches. Under the decisional Diffie-Hellman assumption a blinded point says nothing
 * about its id to anyone who lacks the other keys.
 *
 * <p>The scalar is drawn from the given {@link RandomSource} (secure in deployments; seeded in tests); the
 * order in which the blinded ids go out is a random permutation from the same source, remembered so that
 * positions in it can be mapped back to ids. Points travel compressed ({@value #POINT_BYTES} bytes); a point
 * received is decoded, checked to lie on the curve and refused if it is the identity. Not thread-safe (one
 * protocol run at a time); the point arithmetic itself runs on the common fork-join pool.
 */
public final class PsiParty {
  /** Compressed P-256 point size. */
  public static final int POINT_BYTES = 33;
  /** The domain-separation tag of Starling's PSI hash (version 1). */
  public static final String DST = "STARLING-PSI-V01-CS01-with-P256_XMD:SHA-256_SSWU_RO_";

  private static final HashToCurve HASH = new HashToCurve(DST);
  private static final ECCurve CURVE = HashToCurve.P256.getCurve();
  private static final BigInteger ORDER = HashToCurve.P256.getN();

  private final String name;
  private final List<String> ids;
  private final BigInteger key;
  private final int[] order;

  /**
   * A party named {@code name} (for messages) holding {@code ids}, which must be distinct; duplicates are
   * refused naming the first one.
   */
  public PsiParty(String name, Collection<String> ids, RandomSource rng) {
    this.name = Objects.requireNonNull(name, "name");
    this.ids = List.copyOf(ids);
    Set<String> seen = new HashSet<>();
    for (String id : this.ids) {
      if (!seen.add(id)) {
        throw new IllegalArgumentException(name + ": id '" + id + "' appears twice; PSI needs distinct ids");
      }
    }
    BigInteger r = BigInteger.ZERO;
    for (int i = 0; i < 5; i++) {
      r = r.shiftLeft(64).or(BigInteger.valueOf(rng.nextLong()).and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)));
    }
    this.key = r.mod(ORDER.subtract(BigInteger.ONE)).add(BigInteger.ONE);
    this.order = rng.permutation(this.ids.size());
  }

  public String name() {
    return name;
  }

  /** How many ids this party holds. */
  public int size() {
    return ids.size();
  }

  /** The hashed-to-curve point of an id (what a party must never receive un-blinded). */
  public static ECPoint hash(String id) {
    return HASH.hash(id.getBytes(StandardCharsets.UTF_8));
  }

  /** Compressed encoding of a point. */
  public static byte[] encode(ECPoint p) {
    return p.getEncoded(true);
  }

  /** {@code H(id)^k} of every own id, in this party's secret random order. */
  public byte[][] blindOwn() {
    byte[][] out = new byte[ids.size()][];
    IntStream.range(0, out.length).parallel().forEach(j -> out[j] = encode(hash(ids.get(order[j])).multiply(key)));
    return out;
  }

  /** Every received point raised to this party's scalar, in the order received. */
  public byte[][] reblind(byte[][] points) {
    byte[][] out = new byte[points.length][];
    IntStream.range(0, out.length).parallel().forEach(j -> out[j] = encode(decode(points[j], j).multiply(key).normalize()));
    return out;
  }

  private ECPoint decode(byte[] bytes, int index) {
    ECPoint p;
    try {
      p = CURVE.decodePoint(bytes);
    } catch (IllegalArgumentException e) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, name + " received an invalid point at position " + index + ": " + e.getMessage());
    }
    if (p.isInfinity() || !p.isValid()) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, name + " received the identity or an off-curve point at position " + index);
    }
    return p;
  }

  /** The ids at {@code positions} of the order {@link #blindOwn} used, sorted (the agreed row order). */
  public List<String> idsAt(int[] positions) {
    List<String> out = new ArrayList<>(positions.length);
    for (int p : positions) {
      if (p < 0 || p >= order.length) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, name + " was told position " + p + " of " + order.length);
      }
      out.add(ids.get(order[p]));
    }
    out.sort(null);
    return List.copyOf(out);
  }
}
