package dev.starling.ledger;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/** SHA-256 digests of bytes and of models, as the ledger records them. */
public final class Digests {
  /** Length of a SHA-256 digest in bytes. */
  public static final int LENGTH = 32;

  private Digests() {}

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK has no SHA-256", e);
    }
  }

  public static byte[] sha256(byte[] bytes) {
    return sha256().digest(bytes);
  }

  /**
   * SHA-256 of a model in a canonical form: per tensor, in the set's order, its name (UTF-8, length
   * first), rank, dimensions and the raw IEEE-754 bits of each float32 in big-endian order. Equal
   * parameter sets (same names, shapes and bits) have equal digests.
   */
  public static byte[] of(ParameterSet p) {
    MessageDigest md = sha256();
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.BIG_ENDIAN);
    for (Tensor t : p) {
      byte[] name = t.name().getBytes(StandardCharsets.UTF_8);
      buf.putInt(name.length);
      flushIfFull(md, buf, name.length);
      buf.put(name);
      int[] shape = t.shape();
      flushIfFull(md, buf, 4 + 4 * shape.length);
      buf.putInt(shape.length);
      for (int d : shape) {
        buf.putInt(d);
      }
      for (float v : t.data()) {
        if (buf.remaining() < 4) {
          flush(md, buf);
        }
        buf.putInt(Float.floatToRawIntBits(v));
      }
    }
    flush(md, buf);
    return md.digest();
  }

  private static void flushIfFull(MessageDigest md, ByteBuffer buf, int need) {
    if (buf.remaining() < need) {
      flush(md, buf);
      if (buf.remaining() < need) {
        throw new IllegalArgumentException("tensor name too long: " + need + " bytes");
      }
    }
  }

  private static void flush(MessageDigest md, ByteBuffer buf) {
    buf.flip();
    md.update(buf);
    buf.clear();
  }

  public static String hex(byte[] bytes) {
    return HexFormat.of().formatHex(bytes);
  }
}
