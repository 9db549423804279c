package dev.starling.vertical.psi;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.vertical.link.PartyLink;
import dev.starling.vertical.link.Wire;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.BiConsumer;

/**
 * Private set intersection of record ids among {@link PsiParty}s.
 *
 * <p>{@link #intersect} runs the k-party ring in one process: party i's blinded set travels around the ring
 * i, i+1, ..., each party re-blinding it, until it carries all k keys; then party 0 (the leader) intersects
 * the k fully blinded sets and tells every party the positions of its common elements. Every party learns the
 * intersection (the agreed rows) and the sizes of the other sets, nothing else (honest-but-curious, DDH).
 *
 * <p>{@link #lead} and {@link #follow} are the same protocol for two parties over a {@link PartyLink}
 * ({@code psi/1}): hello with set sizes; leader sends {@code H(a)^alpha}; follower answers
 * {@code H(a)^(alpha beta)} in the order received and its own {@code H(b)^beta}; the leader computes
 * {@code H(b)^(beta alpha)}, intersects and sends the follower its positions. Each returns the intersection
 * sorted, so both parties agree on the row order.
 */
public final class Psi {
  /** The protocol name on the wire. */
  public static final String PROTOCOL = "psi/1";
  static final int HELLO = 1;
  static final int BLINDED = 2;
  static final int REPLY = 3;
  static final int RESULT = 4;

  private Psi() {}

  /**
   * The intersection as each party computes it ({@code result.get(i)} for {@code parties.get(i)}); every
   * message a party receives is also handed to {@code observer} as (receiving party index, message), so tests
   * can check what a curious party sees.
   */
  public static List<List<String>> intersect(List<PsiParty> parties, BiConsumer<Integer, byte[][]> observer) {
    int k = parties.size();
    if (k < 2) {
      throw new IllegalArgumentException("PSI needs >= 2 parties. Provided value: " + k);
    }
    byte[][][] full = new byte[k][][];
    for (int i = 0; i < k; i++) {
      byte[][] s = parties.get(i).blindOwn();
      for (int step = 1; step < k; step++) {
        int j = (i + step) % k;
        observer.accept(j, s);
        s = parties.get(j).reblind(s);
      }
      if ((i + k - 1) % k != 0) {
        // the last re-blinder (party i - 1) hands the fully blinded set to the leader
        observer.accept(0, s);
      }
      full[i] = s;
    }
    Set<ByteBuffer> common = keys(full[0]);
    for (int i = 1; i < k; i++) {
      common.retainAll(keys(full[i]));
    }
    List<List<String>> out = new ArrayList<>();
    for (int i = 0; i < k; i++) {
      int[] pos = positions(full[i], common);
      if (i != 0) {
        observer.accept(i, new byte[][] {new Wire.Writer(PROTOCOL, RESULT).putInts(pos).toByteArray()});
      }
      out.add(parties.get(i).idsAt(pos));
    }
    return out;
  }

  /** The leader's half of two-party PSI over {@code link}; returns the sorted intersection. */
  public static List<String> lead(PsiParty self, PartyLink link) {
    link.send(new Wire.Writer(PROTOCOL, HELLO).putInt(self.size()).toByteArray());
    Wire.Reader hello = new Wire.Reader(link.receive(), PROTOCOL).expect(HELLO, "hello");
    hello.getInt("set size");
    hello.end();
    link.send(new Wire.Writer(PROTOCOL, BLINDED).putFixed(self.blindOwn(), PsiParty.POINT_BYTES).toByteArray());
    Wire.Reader reply = new Wire.Reader(link.receive(), PROTOCOL).expect(REPLY, "re-blinded sets");
    byte[][] mineFull = reply.getFixed("re-blinded leader set", PsiParty.POINT_BYTES);
    byte[][] theirs = reply.getFixed("follower set", PsiParty.POINT_BYTES);
    reply.end();
    if (mineFull.length != self.size()) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, "the follower returned " + mineFull.length + " points for "
          + self.size() + " sent");
    }
    byte[][] theirsFull = self.reblind(theirs);
    Set<ByteBuffer> common = keys(mineFull);
    common.retainAll(keys(theirsFull));
    link.send(new Wire.Writer(PROTOCOL, RESULT).putInts(positions(theirsFull, common)).toByteArray());
    return self.idsAt(positions(mineFull, common));
  }

  /** The follower's half of two-party PSI over {@code link}; returns the sorted intersection. */
  public static List<String> follow(PsiParty self, PartyLink link) {
    Wire.Reader hello = new Wire.Reader(link.receive(), PROTOCOL).expect(HELLO, "hello");
    hello.getInt("set size");
    hello.end();
    link.send(new Wire.Writer(PROTOCOL, HELLO).putInt(self.size()).toByteArray());
    Wire.Reader blinded = new Wire.Reader(link.receive(), PROTOCOL).expect(BLINDED, "leader set");
    byte[][] theirs = blinded.getFixed("leader set", PsiParty.POINT_BYTES);
    blinded.end();
    link.send(new Wire.Writer(PROTOCOL, REPLY).putFixed(self.reblind(theirs), PsiParty.POINT_BYTES)
        .putFixed(self.blindOwn(), PsiParty.POINT_BYTES).toByteArray());
    Wire.Reader result = new Wire.Reader(link.receive(), PROTOCOL).expect(RESULT, "intersection positions");
    int[] pos = result.getInts("positions");
    result.end();
    return self.idsAt(pos);
  }

  private static Set<ByteBuffer> keys(byte[][] points) {
    Set<ByteBuffer> s = new HashSet<>(points.length * 2);
    for (byte[] p : points) {
      s.add(ByteBuffer.wrap(p));
    }
    return s;
  }

  private static int[] positions(byte[][] points, Set<ByteBuffer> common) {
    return java.util.stream.IntStream.range(0, points.length).filter(j -> common.contains(ByteBuffer.wrap(points[j]))).toArray();
  }
}
