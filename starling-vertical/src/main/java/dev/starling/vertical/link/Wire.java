package dev.starling.vertical.link;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;

/**
 * The binary form of the vertical protocols' messages: a header (protocol name such as {@code psi/1} and a
 * one-byte message kind), then big-endian fields. {@link Reader} checks the header and every length before it
 * allocates, so a malformed or hostile message fails with INVALID_ARGUMENT naming the protocol and field
 * rather than an out-of-memory error.
 */
public final class Wire {
  /** The most elements one array field may declare (guards allocation on decode). */
  public static final int MAX_ELEMENTS = 1 << 26;

  private Wire() {}

  /** Builds one message. Not thread-safe. */
  public static final class Writer {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final DataOutputStream out = new DataOutputStream(bytes);

    /** A message of {@code protocol} and {@code kind}. */
    public Writer(String protocol, int kind) {
      byte[] p = protocol.getBytes(StandardCharsets.US_ASCII);
      try {
        out.writeByte(p.length);
        out.write(p);
        out.writeByte(kind);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    public Writer putInt(int v) {
      try {
        out.writeInt(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    public Writer putDouble(double v) {
      try {
        out.writeDouble(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** Length-prefixed bytes. */
    public Writer putBytes(byte[] v) {
      putInt(v.length);
      try {
        out.write(v);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    public Writer putInts(int[] v) {
      putInt(v.length);
      for (int x : v) {
        putInt(x);
      }
      return this;
    }

    public Writer putFloats(float[] v, int n) {
      putInt(n);
      ByteBuffer b = ByteBuffer.allocate(4 * n);
      b.asFloatBuffer().put(v, 0, n);
      try {
        out.write(b.array());
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    /** Fixed-width elements (e.g. compressed points) in one block: count, width, then the bytes. */
    public Writer putFixed(byte[][] v, int width) {
      putInt(v.length);
      putInt(width);
      try {
        for (byte[] e : v) {
          if (e.length != width) {
            throw new IllegalArgumentException("element of " + e.length + " bytes in a block of width " + width);
          }
          out.write(e);
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      return this;
    }

    public Writer putBigIntegers(BigInteger[] v) {
      putInt(v.length);
      for (BigInteger x : v) {
        putBytes(x.toByteArray());
      }
      return this;
    }

    public byte[] toByteArray() {
      return bytes.toByteArray();
    }
  }

  /** Reads one message, checking its header. Not thread-safe. */
  public static final class Reader {
    private final ByteBuffer in;
    private final String protocol;
    private final int kind;

    /** Reads the header of {@code message}, which must be of {@code protocol}. */
    public Reader(byte[] message, String protocol) {
      this.in = ByteBuffer.wrap(message);
      this.protocol = protocol;
      int n = need(1, "protocol name") ? in.get() & 0xff : 0;
      need(n + 1, "protocol name");
      byte[] p = new byte[n];
      in.get(p);
      String got = new String(p, StandardCharsets.US_ASCII);
      if (!got.equals(protocol)) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION,
            "the peer speaks " + got + " but this party expects " + protocol + "; run the same Starling version on both");
      }
      this.kind = in.get() & 0xff;
    }

    /** The message kind. */
    public int kind() {
      return kind;
    }

    /** Checks the kind; {@code what} names the expected message. */
    public Reader expect(int expected, String what) {
      if (kind != expected) {
        throw bad("expected message " + what + " (kind " + expected + ") but got kind " + kind);
      }
      return this;
    }

    private boolean need(int bytes, String field) {
      if (in.remaining() < bytes) {
        throw bad("message ends inside field " + field);
      }
      return true;
    }

    private FlException bad(String what) {
      return new FlException(ErrorCode.INVALID_ARGUMENT, protocol + ": " + what);
    }

    public int getInt(String field) {
      need(4, field);
      return in.getInt();
    }

    public double getDouble(String field) {
      need(8, field);
      return in.getDouble();
    }

    private int count(String field, int width) {
      int n = getInt(field);
      if (n < 0 || n > MAX_ELEMENTS) {
        throw bad(field + " declares " + n + " elements (allowed 0.." + MAX_ELEMENTS + ")");
      }
      need((int) Math.min(Integer.MAX_VALUE, (long) n * width), field);
      return n;
    }

    public byte[] getBytes(String field) {
      byte[] v = new byte[count(field, 1)];
      in.get(v);
      return v;
    }

    public int[] getInts(String field) {
      int[] v = new int[count(field, 4)];
      in.asIntBuffer().get(v);
      in.position(in.position() + 4 * v.length);
      return v;
    }

    public float[] getFloats(String field) {
      float[] v = new float[count(field, 4)];
      in.asFloatBuffer().get(v);
      in.position(in.position() + 4 * v.length);
      return v;
    }

    /** A block written by {@link Writer#putFixed}, whose width must be {@code width}. */
    public byte[][] getFixed(String field, int width) {
      int n = getInt(field);
      int w = getInt(field + " width");
      if (w != width) {
        throw bad(field + " has elements of " + w + " bytes; expected " + width);
      }
      if (n < 0 || n > MAX_ELEMENTS) {
        throw bad(field + " declares " + n + " elements (allowed 0.." + MAX_ELEMENTS + ")");
      }
      need((int) Math.min(Integer.MAX_VALUE, (long) n * w), field);
      byte[][] v = new byte[n][w];
      for (byte[] e : v) {
        in.get(e);
      }
      return v;
    }

    public BigInteger[] getBigIntegers(String field) {
      int n = count(field, 4);
      BigInteger[] v = new BigInteger[n];
      for (int i = 0; i < n; i++) {
        byte[] b = getBytes(field + "[" + i + "]");
        if (b.length == 0) {
          throw bad(field + "[" + i + "] is empty");
        }
        v[i] = new BigInteger(b);
      }
      return v;
    }

    /** Checks that nothing follows the last field. */
    public void end() {
      if (in.hasRemaining()) {
        throw bad(in.remaining() + " unexpected bytes after the last field");
      }
    }
  }
}
