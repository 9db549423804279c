package dev.starling.transport.grpc.wire;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.protobuf.ByteString;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.Heartbeat;
import dev.starling.transport.grpc.proto.ServerMessage;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Chunk messages parsed over the transport's own buffers ({@link HasByteBuffer}, as gRPC's Netty transport
 * offers): no copy until {@link ChunkAssembler}, values split across buffers put back together, buffers kept
 * until the stream is closed, and every other message copied so it may outlive the stream.
 */
class InPlaceParsingTest {
  private static final MethodDescriptor.Marshaller<ClientMessage> SERVER_SIDE =
      WireMarshalling.aliasing(ClientMessage.getDefaultInstance(), ClientMessage.CHUNK_FIELD_NUMBER);

  /**
   * A message stream over direct buffers of the given sizes, like gRPC's over Netty's frames: a buffer read
   * past while the stream is not marked is released, which here overwrites it (as reuse from Netty's pool
   * would); closing releases the rest.
   */
  static final class FramedStream extends InputStream implements KnownLength, HasByteBuffer {
    final List<ByteBuffer> pieces = new ArrayList<>();
    int current;
    boolean marked;
    boolean closed;

    FramedStream(byte[] message, int... sizes) {
      int p = 0;
      for (int i = 0; p < message.length; i++) {
        int n = Math.min(sizes[i % sizes.length], message.length - p);
        ByteBuffer b = ByteBuffer.allocateDirect(n);
        b.put(message, p, n).flip();
        pieces.add(b);
        p += n;
      }
    }

    private void advance() {
      while (current < pieces.size() && !pieces.get(current).hasRemaining()) {
        if (!marked) {
          release(pieces.get(current));
        }
        current++;
      }
    }

    private static void release(ByteBuffer b) {
      for (int i = 0; i < b.capacity(); i++) {
        b.put(i, (byte) 0x55);
      }
    }

    @Override
    public int available() {
      int n = 0;
      for (int i = current; i < pieces.size(); i++) {
        n += pieces.get(i).remaining();
      }
      return n;
    }

    @Override
    public int read() {
      advance();
      return current < pieces.size() ? pieces.get(current).get() & 0xff : -1;
    }

    @Override
    public int read(byte[] dst, int off, int len) {
      advance();
      if (current >= pieces.size()) {
        return -1;
      }
      ByteBuffer b = pieces.get(current);
      int n = Math.min(len, b.remaining());
      b.get(dst, off, n);
      advance();
      return n;
    }

    @Override
    public long skip(long n) {
      advance();
      if (current >= pieces.size()) {
        return 0;
      }
      ByteBuffer b = pieces.get(current);
      int k = (int) Math.min(n, b.remaining());
      b.position(b.position() + k);
      advance();
      return k;
    }

    @Override
    public boolean markSupported() {
      return true;
    }

    @Override
    public void mark(int limit) {
      marked = true;
    }

    @Override
    public boolean byteBufferSupported() {
      return true;
    }

    @Override
    public ByteBuffer getByteBuffer() {
      advance();
      return current < pieces.size() ? pieces.get(current).slice() : null;
    }

    @Override
    public void close() {
      closed = true;
      pieces.forEach(FramedStream::release);
    }
  }

  private static float[] values(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  @Test
  void aChunkSplitAcrossBuffersMidValueReassemblesBitForBitWithoutACopy() {
    float[] v = values(40_000, 1);
    ParameterSet p = ParameterSet.of(Tensor.of("w", v, v.length));
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, Attachments.none()), v.length, true, "test");
    var chunks = Payloads.chunks(9, List.of(p), 16_384);
    int messages = 0;
    while (chunks.hasNext()) {
      ClientMessage sent = ClientMessage.newBuilder().setChunk(chunks.next()).build();
      // piece sizes that split values everywhere: 1, 2 and 3 bytes into a value, and a one-byte piece
      FramedStream in = new FramedStream(sent.toByteArray(), 16_393, 1, 7_002, 4_097, 130);
      ClientMessage got = SERVER_SIDE.parse(in);
      assertThat(in.marked).as("marked before reading, so no buffer is released early").isTrue();
      ByteString data = got.getChunk().getData();
      assertThat(data.asReadOnlyByteBufferList()).as("views of the stream's direct buffers").hasSizeGreaterThan(1)
          .allSatisfy(b -> assertThat(b.isDirect()).isTrue());
      assertThat(got).isEqualTo(sent);
      a.accept(got.getChunk());
      in.close(); // what gRPC does after the callback
      messages++;
    }
    assertThat(messages).isEqualTo(3);
    assertThat(a.model(v.length).tensors().get(0).data()).isEqualTo(v);
  }

  @Test
  void aChunkIsAViewOfTheTransportsBuffersUntilTheStreamCloses() {
    float[] v = values(1_000, 2);
    ClientMessage sent = ClientMessage.newBuilder().setChunk(Payloads.chunks(1, List.of(ParameterSet.of(
        Tensor.of("w", v, v.length))), 1_000).next()).build();
    FramedStream in = new FramedStream(sent.toByteArray(), 1_000);
    ClientMessage got = SERVER_SIDE.parse(in);
    assertThat(got).isEqualTo(sent);
    in.close();
    assertThat(got.getChunk().getData()).as("released with the stream: the view now reads the reused memory")
        .isNotEqualTo(sent.getChunk().getData());
  }

  @Test
  void otherMessagesAreCopiedAndOutliveTheStream() {
    ClientMessage sent = ClientMessage.newBuilder().setHeartbeat(Heartbeat.newBuilder().setSentUnixMillis(12345)).build();
    FramedStream in = new FramedStream(sent.toByteArray(), 3);
    ClientMessage got = SERVER_SIDE.parse(in);
    in.close();
    assertThat(got).isEqualTo(sent);
  }

  @Test
  void withoutATransientFieldEveryMessageIsCopied() {
    float[] v = values(500, 3);
    ClientMessage sent = ClientMessage.newBuilder().setChunk(Payloads.chunks(1, List.of(ParameterSet.of(
        Tensor.of("w", v, v.length))), 500).next()).build();
    FramedStream in = new FramedStream(sent.toByteArray(), 700);
    ClientMessage got = WireMarshalling.aliasing(ClientMessage.getDefaultInstance()).parse(in);
    in.close();
    assertThat(got).isEqualTo(sent);
  }

  @Test
  void theClientParsesServerChunksInPlaceToo() {
    float[] v = values(3_000, 4);
    Chunk c = Payloads.chunks(5, List.of(ParameterSet.of(Tensor.of("w", v, v.length))), 3_000).next();
    ServerMessage sent = ServerMessage.newBuilder().setChunk(c).build();
    FramedStream in = new FramedStream(sent.toByteArray(), 5_001);
    ServerMessage got = WireMarshalling.clientSession().getResponseMarshaller().parse(in);
    assertThat(in.marked).isTrue();
    assertThat(got).isEqualTo(sent);
    float[] back = new float[v.length];
    ChunkAssembler.copyFloats(got.getChunk().getData(), back, 0);
    assertThat(back).isEqualTo(v);
  }
}
