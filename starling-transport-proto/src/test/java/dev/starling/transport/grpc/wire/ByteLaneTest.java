package dev.starling.transport.grpc.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.starling.core.error.FlException;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.proto.Chunk;
import java.io.EOFException;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.ByteBuffer;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The byte lane's opening, and chunks read from it straight into the assemblers. */
@Timeout(30)
class ByteLaneTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closeMe) {
      c.close();
    }
  }

  /** A connected pair: the client's lane and the server's, opened with id 42 and {@code token}. */
  private ByteLane[] pair(byte[] token) throws Exception {
    ServerSocketChannel listen = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    closeMe.add(listen);
    int port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
    CompletableFuture<ByteLane> server = CompletableFuture.supplyAsync(() -> {
      try {
        SocketChannel ch = listen.accept();
        ByteLane.Opening o = ByteLane.readOpening(ch, Duration.ofSeconds(5));
        assertThat(o.laneId()).isEqualTo(42);
        assertThat(o.token()).isEqualTo(token);
        ByteLane l = ByteLane.accepted(ch);
        l.acknowledge();
        return l;
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    ByteLane client = ByteLane.connect("127.0.0.1", port, 42, token, Duration.ofSeconds(5));
    ByteLane s = server.get();
    closeMe.add(client);
    closeMe.add(s);
    return new ByteLane[] {client, s};
  }

  private static float[] values(int n, long seed) {
    Random r = new Random(seed);
    float[] v = new float[n];
    for (int i = 0; i < n; i++) {
      v[i] = (float) r.nextGaussian();
    }
    return v;
  }

  private static Chunk announce(Chunk c) {
    return c.toBuilder().clearData().setLaneBytes(c.getData().size()).build();
  }

  @Test
  void chunksReadFromTheLaneReassembleTheModelBitForBit() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    // 100,003 values in chunks of 30,001: every chunk ends mid-way through the lane's 64 KiB reads
    float[] v = values(100_003, 1);
    ParameterSet p = ParameterSet.of(Tensor.of("w", v, v.length), Tensor.of("b", new float[] {1.5f, -2f}, 2));
    List<Chunk> chunks = new ArrayList<>();
    Payloads.chunks(7, List.of(p), 30_001).forEachRemaining(chunks::add);
    CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
      try {
        for (Chunk c : chunks) {
          lanes[0].write(c.getData());
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 200_000, true, "test");
    for (Chunk c : chunks) {
      a.accept(announce(c), lanes[1]);
    }
    sent.get();
    ParameterSet back = a.model(v.length + 2);
    assertThat(back.get("w").data()).isEqualTo(v);
    assertThat(back.get("b").data()).containsExactly(1.5f, -2f);
    assertThat(lanes[1].bytesRead()).isEqualTo((v.length + 2L) * Float.BYTES);
  }

  @Test
  void laneChunksAnnounceWholeTensorsAndTheirFloatsArriveBitForBit() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    float[] w = values(300_001, 6);
    float[] x = values(7, 7);
    ParameterSet p = ParameterSet.of(Tensor.of("w", w, w.length), Tensor.of("b", new float[] {3f}, 1));
    Attachments att = Attachments.none().with(new dev.starling.core.message.AttachmentKey("x"),
        ParameterSet.of(Tensor.of("x", x, x.length)));
    List<Payloads.LaneChunk> chunks = new ArrayList<>();
    Payloads.laneChunks(5, Payloads.ordered(p, att)).forEachRemaining(chunks::add);
    assertThat(chunks).extracting(c -> c.announcement().getTensor() + "@" + c.announcement().getPayload() + ":"
        + c.announcement().getLaneBytes()).containsExactly("0@0:1200004", "1@0:4", "0@1:28");
    assertThat(chunks).allSatisfy(c -> assertThat(c.announcement().getData().isEmpty()).isTrue());
    CompletableFuture<Void> sent = CompletableFuture.runAsync(() -> {
      try {
        for (Payloads.LaneChunk c : chunks) {
          c.trailer().writeTo(lanes[0]);
        }
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, att), 400_000, true, "test");
    for (Payloads.LaneChunk c : chunks) {
      a.accept(c.announcement(), lanes[1]);
    }
    sent.get();
    assertThat(a.model(w.length + 1 + x.length).get("w").data()).isEqualTo(w);
    assertThat(a.attachments().get(new dev.starling.core.message.AttachmentKey("x")).orElseThrow().get("x").data())
        .isEqualTo(x);
  }

  @Test
  void aSharedDirectModelIsEncodedOnceForEveryLaneAndArrivesBitForBit() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    float[] w = values(50_000, 8);
    ParameterSet p = ParameterSet.of(Tensor.of("w", w, w.length));
    Payloads.SharedModel shared = new Payloads.SharedModel(p, ByteLane.CHUNK_VALUES, 3, true);
    List<Payloads.LaneChunk> first = new ArrayList<>();
    Payloads.laneChunks(1, List.of(p), shared).forEachRemaining(first::add);
    List<Payloads.LaneChunk> second = new ArrayList<>();
    Payloads.laneChunks(2, List.of(p), shared).forEachRemaining(second::add);
    assertThat(first).hasSize(1);
    assertThat(second).hasSize(1);
    assertThat(shared.encodings()).as("one encoding serves both tasks").isEqualTo(1);
    second.get(0).trailer().writeTo(lanes[0]);
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, Attachments.none()), w.length, true, "test");
    a.accept(second.get(0).announcement(), lanes[1]);
    assertThat(a.model(w.length).get("w").data()).isEqualTo(w);
    assertThatThrownBy(() -> Payloads.laneChunks(1, List.of(p), new Payloads.SharedModel(p, 1000, 3, true)))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void aRefusedChunksBytesAreDroppedSoTheNextChunkStillLinesUp() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    float[] v = values(2_000, 2);
    ParameterSet p = ParameterSet.of(Tensor.of("w", v, v.length));
    Iterator<Chunk> it = Payloads.chunks(7, List.of(p), 1_000);
    Chunk first = it.next();
    Chunk second = it.next();
    Chunk outOfOrder = second.toBuilder().setOffset(5).build(); // announces the second chunk's bytes at a wrong offset
    lanes[0].write(second.getData());
    lanes[0].write(first.getData());
    lanes[0].write(second.getData());
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 2_000, true, "update of client x");
    assertThatThrownBy(() -> a.accept(announce(outOfOrder), lanes[1])).isInstanceOf(FlException.class)
        .hasMessageContaining("update of client x").hasMessageContaining("out of order");
    a.accept(announce(first), lanes[1]);
    a.accept(announce(second), lanes[1]);
    assertThat(a.model(2_000).get("w").data()).isEqualTo(v);
  }

  @Test
  void nonFiniteValuesOnTheLaneAreRefusedLikeInTheStream() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    float[] v = values(500, 3);
    v[321] = Float.NaN;
    ParameterSet p = ParameterSet.of(Tensor.of("w", v, v.length));
    Chunk c = Payloads.chunks(1, List.of(p), 500).next();
    lanes[0].write(c.getData());
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 500, true, "update of client y");
    assertThatThrownBy(() -> a.accept(announce(c), lanes[1])).isInstanceOf(FlException.class)
        .hasMessageContaining("non-finite value NaN at index 321");
  }

  @Test
  void anEncodedPayloadComesOffTheLaneIntoTheEncodedAssembler() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    byte[] encoded = new byte[70_001];
    new Random(4).nextBytes(encoded);
    EncodedAssembler e = new EncodedAssembler(encoded.length, encoded.length, "test");
    Iterator<Chunk> it = Payloads.encodedChunks(3, encoded, List.of(), 10_000);
    List<Chunk> chunks = new ArrayList<>();
    it.forEachRemaining(chunks::add);
    for (Chunk c : chunks) {
      lanes[0].write(c.getData());
    }
    for (Chunk c : chunks) {
      e.accept(announce(c), lanes[1]);
    }
    assertThat(e.bytes()).isEqualTo(encoded);
  }

  @Test
  void aLaneThatEndsMidChunkFailsTheReadNamingTheShortfall() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    lanes[0].write(ByteString.copyFrom(new byte[100]));
    lanes[0].close();
    float[] v = values(1_000, 5);
    ParameterSet p = ParameterSet.of(Tensor.of("w", v, v.length));
    Chunk c = Payloads.chunks(1, List.of(p), 1_000).next();
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 1_000, true, "test");
    assertThatThrownBy(() -> a.accept(announce(c), lanes[1])).isInstanceOf(EOFException.class)
        .hasMessageContaining("3900 of 4000 announced bytes unread");
  }

  @Test
  void announcingMoreThanAChunksLimitIsRefusedBeforeReading() throws Exception {
    ByteLane[] lanes = pair(ByteLane.newToken());
    ParameterSet p = ParameterSet.of(Tensor.zeros("w", 10));
    Chunk c = Chunk.newBuilder().setTaskId(1).setLaneBytes(ByteLane.MAX_CHUNK_BYTES + 4).build();
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 10, true, "test");
    assertThatThrownBy(() -> a.accept(c, lanes[1])).isInstanceOf(IOException.class).hasMessageContaining("more than");
  }

  @Test
  void anOpeningThatIsNotALanesIsRefused() throws Exception {
    ServerSocketChannel listen = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    closeMe.add(listen);
    int port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
    SocketChannel garbage = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
    closeMe.add(garbage);
    garbage.write(ByteBuffer.wrap(new byte[48]));
    SocketChannel ch = listen.accept();
    closeMe.add(ch);
    assertThatThrownBy(() -> ByteLane.readOpening(ch, Duration.ofSeconds(5))).isInstanceOf(IOException.class)
        .hasMessageContaining("not a byte lane opening");
    SocketChannel silent = SocketChannel.open(new InetSocketAddress("127.0.0.1", port));
    closeMe.add(silent);
    SocketChannel ch2 = listen.accept();
    closeMe.add(ch2);
    assertThatThrownBy(() -> ByteLane.readOpening(ch2, Duration.ofMillis(200)))
        .isInstanceOf(java.net.SocketTimeoutException.class);
  }

  @Test
  void aClientIsToldWhenTheServerClosesInsteadOfBinding() throws Exception {
    ServerSocketChannel listen = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
    closeMe.add(listen);
    int port = ((InetSocketAddress) listen.getLocalAddress()).getPort();
    CompletableFuture.runAsync(() -> {
      try (SocketChannel ch = listen.accept()) {
        ByteLane.readOpening(ch, Duration.ofSeconds(5)); // then closes without an answer: a wrong token
      } catch (IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    });
    assertThatThrownBy(() -> ByteLane.connect("127.0.0.1", port, 9, ByteLane.newToken(), Duration.ofSeconds(5)))
        .isInstanceOf(IOException.class).hasMessageContaining("refused byte lane 9");
  }
}
