package dev.starling.transport.grpc.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.protobuf.ByteString;
import dev.starling.core.error.FlException;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.proto.PayloadSpec;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.junit.jupiter.api.Test;

class ChunkingTest {
  private static ParameterSet model() {
    float[] w = new float[7 * 5];
    for (int i = 0; i < w.length; i++) {
      w[i] = i * 0.5f - 3;
    }
    return ParameterSet.of(Tensor.of("w", w, 7, 5), Tensor.of("b", new float[] {1, -2, 3}, 3));
  }

  private static List<Chunk> chunksOf(ParameterSet p, Attachments a, int per) {
    List<Chunk> out = new ArrayList<>();
    Payloads.chunks(9, Payloads.ordered(p, a), per).forEachRemaining(out::add);
    return out;
  }

  @Test
  void chunksCoverEveryValueInOrderAndNeverExceedTheChunkSize() {
    List<Chunk> cs = chunksOf(model(), Attachments.none(), 8);
    // w: 35 values -> 8,8,8,8,3 ; b: 3 values -> 3
    assertThat(cs).extracting(c -> c.getData().size() / 4).containsExactly(8, 8, 8, 8, 3, 3);
    assertThat(cs).extracting(Chunk::getTensor).containsExactly(0, 0, 0, 0, 0, 1);
    assertThat(cs).extracting(Chunk::getOffset).containsExactly(0L, 8L, 16L, 24L, 32L, 0L);
  }

  @Test
  void reassemblyRestoresModelAndAttachmentsBitForBit() {
    ParameterSet p = model();
    ParameterSet extra = ParameterSet.of(Tensor.of("c", new float[] {Float.MIN_VALUE, -0f, 1e30f}, 3));
    Attachments a = Attachments.none().with(new AttachmentKey("scaffold.control-delta"), extra);
    PayloadSpec spec = Payloads.spec(p, a);
    ChunkAssembler asm = new ChunkAssembler(spec, 1000, true, "test");
    for (Chunk c : chunksOf(p, a, 4)) {
      asm.accept(c);
    }
    assertThat(asm.isComplete()).isTrue();
    assertThat(asm.model(p.size() + extra.size())).isEqualTo(p);
    assertThat(asm.attachments()).isEqualTo(a);
  }

  @Test
  void aSharedModelEncodingGivesEveryStreamTheSameChunksAsEncodingPerStreamAndEncodesOnce() {
    ParameterSet p = model();
    ParameterSet extra = ParameterSet.of(Tensor.of("c", new float[] {Float.MIN_VALUE, -0f, Float.NaN}, 3));
    Attachments a = Attachments.none().with(new AttachmentKey("k"), extra);
    List<ParameterSet> payloads = Payloads.ordered(p, a);
    Payloads.SharedModel shared = new Payloads.SharedModel(p, 8, 3);
    for (long task : new long[] {11, 12, 13}) {
      List<Chunk> got = new ArrayList<>();
      Payloads.chunks(task, payloads, 8, shared).forEachRemaining(got::add);
      List<Chunk> want = new ArrayList<>();
      Payloads.chunks(task, payloads, 8).forEachRemaining(want::add);
      assertThat(got).isEqualTo(want);
      ChunkAssembler asm = new ChunkAssembler(Payloads.spec(p, a), 1000, false, "test");
      got.forEach(asm::accept);
      assertThat(asm.model(p.size() + extra.size())).isEqualTo(p);
    }
    // w: 5 chunks, b: 1 chunk, encoded by the first stream only; the attachment is not part of the sharing
    assertThat(shared.encodings()).isEqualTo(6);
    assertThat(shared.isFor(p, 8, 3)).isTrue();
    assertThat(shared.isFor(p, 8, 4)).as("another round").isFalse();
    assertThat(shared.isFor(p, 4, 3)).as("another chunk size").isFalse();
    assertThat(shared.isFor(p.copy(), 8, 3)).as("an equal but other model").isFalse();
    assertThatThrownBy(() -> Payloads.chunks(1, List.of(p.copy()), 8, shared)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("another model");
    assertThatThrownBy(() -> Payloads.chunks(1, List.of(p), 4, shared)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void theReassembledTensorsCarryTheirLargestMagnitudeMeasuredAcrossChunks() {
    ParameterSet p = model();
    p.get("w").data()[3] = 50f; // first chunk
    p.get("w").data()[33] = -70f; // last chunk of w: the running maximum must take it
    ParameterSet extra = ParameterSet.of(Tensor.of("c", new float[] {-0f, 1e30f, -2e30f}, 3));
    Attachments a = Attachments.none().with(new AttachmentKey("k"), extra);
    ChunkAssembler asm = new ChunkAssembler(Payloads.spec(p, a), 1000, true, "test");
    chunksOf(p, a, 8).forEach(asm::accept);
    ParameterSet got = asm.model(p.size() + extra.size());
    assertThat(got.get("w").maxAbs()).isEqualTo(70f);
    assertThat(got.get("b").maxAbs()).isEqualTo(3f);
    assertThat(asm.attachments().get(new AttachmentKey("k")).orElseThrow().get("c").maxAbs()).isEqualTo(2e30f);
  }

  @Test
  void nanInALaterChunkIsRejectedNamingTensorAndIndex() {
    ParameterSet p = model();
    p.get("w").data()[20] = Float.NaN;
    ChunkAssembler asm = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 1000, true, "update of client c7");
    Iterator<Chunk> it = Payloads.chunks(1, List.of(p), 8);
    asm.accept(it.next());
    asm.accept(it.next());
    assertThatThrownBy(() -> asm.accept(it.next())).isInstanceOf(FlException.class)
        .hasMessageContaining("update of client c7").hasMessageContaining("'w'").hasMessageContaining("index 20")
        .hasMessageContaining("NaN");
  }

  @Test
  void infinityIsRejectedToo() {
    ParameterSet p = model();
    p.get("b").data()[1] = Float.NEGATIVE_INFINITY;
    ChunkAssembler asm = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 1000, true, "u");
    Iterator<Chunk> it = Payloads.chunks(1, List.of(p), 100);
    asm.accept(it.next());
    assertThatThrownBy(() -> asm.accept(it.next())).hasMessageContaining("-Infinity");
  }

  @Test
  void oversizeAnnouncementIsRejectedBeforeAllocating() {
    ParameterSet p = model();
    assertThatThrownBy(() -> new ChunkAssembler(Payloads.spec(p, Attachments.none()), 37, true, "u"))
        .isInstanceOf(FlException.class).hasMessageContaining("38 values").hasMessageContaining("limit of 37");
  }

  @Test
  void chunkRunningPastTheTensorEndOrAfterCompletionIsRejected() {
    ParameterSet p = model();
    ChunkAssembler asm = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 1000, true, "u");
    Chunk tooLong = Chunk.newBuilder().setTensor(1).setOffset(0).setData(ByteString.copyFrom(new byte[16])).build();
    for (Chunk c : chunksOf(p, Attachments.none(), 64)) {
      if (c.getTensor() == 1) {
        assertThatThrownBy(() -> asm.accept(tooLong)).hasMessageContaining("carries 4 values but the tensor has 3");
      }
      asm.accept(c);
    }
    assertThatThrownBy(() -> asm.accept(tooLong)).hasMessageContaining("after the payload was complete");
  }

  @Test
  void outOfOrderGapsAndTornValuesAreRejected() {
    ParameterSet p = model();
    ChunkAssembler asm = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 1000, true, "u");
    Chunk skip = Chunk.newBuilder().setTensor(0).setOffset(8).setData(ByteString.copyFrom(new byte[32])).build();
    assertThatThrownBy(() -> asm.accept(skip)).hasMessageContaining("out of order").hasMessageContaining("offset 8");
    Chunk torn = Chunk.newBuilder().setTensor(0).setOffset(0).setData(ByteString.copyFrom(new byte[6])).build();
    assertThatThrownBy(() -> asm.accept(torn)).hasMessageContaining("not a positive multiple of 4");
  }

  @Test
  void endingEarlyOrWithAWrongCountIsRejected() {
    ParameterSet p = model();
    ChunkAssembler asm = new ChunkAssembler(Payloads.spec(p, Attachments.none()), 1000, true, "u");
    Iterator<Chunk> it = Payloads.chunks(1, List.of(p), 8);
    asm.accept(it.next());
    assertThatThrownBy(() -> asm.model(38)).hasMessageContaining("ended early");
    it.forEachRemaining(asm::accept);
    assertThatThrownBy(() -> asm.model(40)).hasMessageContaining("announced 40");
    assertThat(asm.model(38)).isEqualTo(p);
  }

  @Test
  void largeTensorIsSplitIntoBoundedMessages() {
    ParameterSet big = ParameterSet.of(Tensor.zeros("big", 1_000_003));
    long maxBytes = 0;
    int n = 0;
    for (Iterator<Chunk> it = Payloads.chunks(1, List.of(big), Payloads.DEFAULT_CHUNK_VALUES); it.hasNext(); n++) {
      maxBytes = Math.max(maxBytes, it.next().getSerializedSize());
    }
    assertThat(n).isEqualTo(4);
    assertThat(maxBytes).isLessThan(4L << 20).isGreaterThan(1L << 20);
  }
}
