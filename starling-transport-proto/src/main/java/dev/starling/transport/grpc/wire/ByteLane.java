package dev.starling.transport.grpc.wire;

import com.google.protobuf.ByteString;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A session's byte lane (protocol v1.7): a plain TCP connection beside the gRPC stream that carries the bytes of
 * chunks ({@code Chunk.lane_bytes}) without HTTP/2 framing, flow-control windows or a hop between threads per
 * message. It is a pipe and nothing else: the stream says what comes next (a chunk message announcing
 * {@code lane_bytes}), and the bytes follow on the lane in the order the stream announced them, so the receiver
 * reads exactly that many bytes right after handling the announcement and both ends stay in step. TCP's own flow
 * control holds a sender back when the receiver is not reading.
 *
 * <p>Set-up: the server offers a lane in the Welcome (port, a lane id and a 32-byte random token); the client
 * connects, sends {@link #MAGIC}, the id and the token, and the server answers one byte, {@link #BOUND}, once it
 * has tied the lane to that session. A lane is plaintext: a server with TLS does not offer one.
 *
 * <p>Reads and writes block; one thread reads (the stream's inbound thread) and one writes (the stream's
 * {@link Outbox} writer) at a time. Closing unblocks both with an exception. Reads go through one 64 KiB direct
 * buffer per lane, handed to a consumer piece by piece, and heap bytes and floats go out through another, so a lane
 * holds no chunk-sized buffer: at most 128 KiB of direct memory, each buffer made when first needed.
 */
public final class ByteLane implements AutoCloseable {
  /** The Hello capability of clients that can use a byte lane. */
  public static final String CAPABILITY = "byte-lane/1";
  /** The first bytes a client sends on a new lane. */
  public static final byte[] MAGIC = "STRLANE1".getBytes(StandardCharsets.US_ASCII);
  /** Length of a lane token. */
  public static final int TOKEN_BYTES = 32;
  /** The server's answer once the lane is bound to the session. */
  public static final int BOUND = 1;
  /**
   * The most bytes one chunk may announce on a lane (64 MiB). A receiver reads a chunk in 64 KiB pieces, so the size
   * of a chunk costs it no memory; large chunks mean few announcements on the stream.
   */
  public static final int MAX_CHUNK_BYTES = 64 << 20;
  /** Values per chunk that senders put on a lane: a tensor of up to 16 Mi values goes in one chunk. */
  public static final int CHUNK_VALUES = MAX_CHUNK_BYTES / Float.BYTES;

  /** Bytes that follow an announcement on the lane. */
  public interface Trailer {
    /** How many bytes. */
    int size();

    /** Writes them. */
    void writeTo(ByteLane lane) throws IOException;

    /** No bytes. */
    Trailer NONE = of(ByteString.EMPTY);

    /** {@code bytes}. */
    static Trailer of(ByteString bytes) {
      return new Trailer() {
        @Override
        public int size() {
          return bytes.size();
        }

        @Override
        public void writeTo(ByteLane lane) throws IOException {
          lane.write(bytes);
        }
      };
    }

    /** {@code n} float32 values of {@code values} from {@code offset}, little-endian, written without an encoded copy. */
    static Trailer floats(float[] values, int offset, int n) {
      return new Trailer() {
        @Override
        public int size() {
          return n * Float.BYTES;
        }

        @Override
        public void writeTo(ByteLane lane) throws IOException {
          lane.writeFloats(values, offset, n);
        }
      };
    }
  }

  private static final SecureRandom RANDOM = new SecureRandom();
  /** Each direction's buffer: a lane holds at most two, made when first needed (128 KiB of direct memory). */
  private static final int BUFFER_BYTES = 64 << 10;

  private final SocketChannel channel;
  private ByteBuffer in; // 64 KiB, made on the first read (one reading thread at a time)
  // heap bytes go out through this buffer: written straight from a heap buffer, the JDK would copy them into a
  // temporary direct buffer as large as the write and keep one per writing thread (a chunk's worth per session)
  private ByteBuffer out; // 64 KiB, made on the first write of heap bytes (one writing thread at a time)
  private final AtomicLong read = new AtomicLong();
  private final AtomicLong written = new AtomicLong();

  private ByteLane(SocketChannel channel) {
    this.channel = channel;
  }

  /** A fresh random token. */
  public static byte[] newToken() {
    byte[] t = new byte[TOKEN_BYTES];
    RANDOM.nextBytes(t);
    return t;
  }

  /** What a client sent to open a lane. */
  public record Opening(long laneId, byte[] token) {}

  /**
   * Client side: connects to {@code host:port}, asks for lane {@code laneId} with {@code token} and waits up to
   * {@code timeout} for the server to bind it.
   *
   * @throws IOException if the connection fails, or the server closes or refuses the lane
   */
  public static ByteLane connect(String host, int port, long laneId, byte[] token, Duration timeout) throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      int millis = (int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis()));
      ch.socket().connect(new InetSocketAddress(host, port), millis);
      ByteBuffer hello = ByteBuffer.allocate(MAGIC.length + Long.BYTES + TOKEN_BYTES);
      hello.put(MAGIC).putLong(laneId).put(token).flip();
      while (hello.hasRemaining()) {
        ch.write(hello);
      }
      ch.socket().setSoTimeout(millis);
      int answer = ch.socket().getInputStream().read(); // the socket's stream honours the timeout; the channel does not
      ch.socket().setSoTimeout(0);
      if (answer != BOUND) {
        throw new IOException("the server refused byte lane " + laneId + (answer < 0 ? " (closed it)" : " (answered " + answer + ")"));
      }
      return new ByteLane(ch);
    } catch (IOException | RuntimeException e) {
      ch.close();
      throw e;
    }
  }

  /**
   * Server side: reads a client's opening from a freshly accepted connection, waiting at most {@code timeout}.
   *
   * @throws IOException if the peer is too slow, closes, or does not send a lane opening
   */
  public static Opening readOpening(SocketChannel ch, Duration timeout) throws IOException {
    ch.socket().setSoTimeout((int) Math.max(1, Math.min(Integer.MAX_VALUE, timeout.toMillis())));
    InputStream s = ch.socket().getInputStream();
    byte[] b = s.readNBytes(MAGIC.length + Long.BYTES + TOKEN_BYTES);
    ch.socket().setSoTimeout(0);
    if (b.length < MAGIC.length + Long.BYTES + TOKEN_BYTES || !Arrays.equals(b, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new IOException("not a byte lane opening (" + b.length + " bytes)");
    }
    long id = ByteBuffer.wrap(b, MAGIC.length, Long.BYTES).getLong();
    return new Opening(id, Arrays.copyOfRange(b, MAGIC.length + Long.BYTES, b.length));
  }

  /** Server side: the lane over an accepted connection whose opening checked out (see {@link #acknowledge}). */
  public static ByteLane accepted(SocketChannel ch) throws IOException {
    ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
    return new ByteLane(ch);
  }

  /** Server side: tells the client its lane is bound to its session, after which it may send on it. */
  public void acknowledge() throws IOException {
    ByteBuffer ok = ByteBuffer.allocate(1).put((byte) BOUND).flip();
    while (ok.hasRemaining()) {
      channel.write(ok);
    }
  }

  private ByteBuffer out() {
    if (out == null) {
      out = ByteBuffer.allocateDirect(BUFFER_BYTES);
    }
    return out;
  }

  /** Writes every byte of {@code data}. */
  public void write(ByteString data) throws IOException {
    for (ByteBuffer b : data.asReadOnlyByteBufferList()) {
      if (b.isDirect()) {
        drain(b);
        continue;
      }
      ByteBuffer o = out();
      while (b.hasRemaining()) {
        int n = Math.min(o.capacity(), b.remaining());
        o.clear().put(o.position(), b, b.position(), n).limit(n);
        b.position(b.position() + n);
        drain(o);
      }
    }
  }

  /** Writes {@code n} values of {@code values} from {@code offset} as little-endian float32, through the write buffer. */
  public void writeFloats(float[] values, int offset, int n) throws IOException {
    ByteBuffer o = out();
    int pos = offset;
    int end = offset + n;
    while (pos < end) {
      int k = Math.min(o.capacity() / Float.BYTES, end - pos);
      o.clear();
      o.order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().put(values, pos, k);
      o.limit(k * Float.BYTES);
      drain(o);
      pos += k;
    }
  }

  private void drain(ByteBuffer b) throws IOException {
    while (b.hasRemaining()) {
      written.addAndGet(channel.write(b));
    }
  }

  /**
   * Reads exactly {@code n} bytes, handing them to {@code sink} in pieces (a piece is valid only during the call).
   *
   * @throws EOFException if the lane ends first
   */
  public void read(int n, Consumer<ByteBuffer> sink) throws IOException {
    if (in == null) {
      in = ByteBuffer.allocateDirect(BUFFER_BYTES);
    }
    int left = n;
    while (left > 0) {
      in.clear().limit(Math.min(in.capacity(), left));
      int k = channel.read(in);
      if (k < 0) {
        throw new EOFException("byte lane closed with " + left + " of " + n + " announced bytes unread");
      }
      read.addAndGet(k);
      left -= k;
      in.flip();
      sink.accept(in);
    }
  }

  /** Reads and drops {@code n} bytes (a chunk that was refused), keeping the lane in step with the stream. */
  public void skip(int n) throws IOException {
    read(n, b -> { });
  }

  /** Bytes read so far. */
  public long bytesRead() {
    return read.get();
  }

  /** Bytes written so far. */
  public long bytesWritten() {
    return written.get();
  }

  public boolean isOpen() {
    return channel.isOpen();
  }

  /** Closes the connection; a blocked read or write fails. Idempotent. */
  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException ignored) {
      // closing anyway
    }
  }
}
