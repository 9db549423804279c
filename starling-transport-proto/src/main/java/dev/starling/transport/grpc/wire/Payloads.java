package dev.starling.transport.grpc.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.UnsafeByteOperations;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.proto.AttachmentSpec;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.proto.PayloadSpec;
import dev.starling.transport.grpc.proto.TensorSpec;
import java.lang.ref.SoftReference;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Turns a model plus attachments into a {@link PayloadSpec} and a lazy sequence of {@link Chunk}s, so a
 * payload of any size is sent without ever materialising a second full copy of it: each chunk is
 * encoded from the tensors' float arrays when the stream is ready for it. Payload 0 is the model,
 * payload k >= 1 is the k-th attachment in the order of {@link Attachments#asMap()}.
 */
public final class Payloads {
  /** Default chunk size: 256 Ki float32 values = 1 MiB of data per message, well under gRPC's 4 MiB limit. */
  public static final int DEFAULT_CHUNK_VALUES = 256 * 1024;

  /**
   * The most values one chunk may carry: a chunk message (4 bytes per value plus a few dozen bytes of
   * framing) must stay under gRPC's default 4 MiB inbound message limit on the receiving side, else the
   * receiver cancels the stream and every round fails. 1 KiB is left for framing.
   */
  public static final int MAX_CHUNK_VALUES = (4 * 1024 * 1024 - 1024) / Float.BYTES;

  /**
   * The Hello capability of a client that sends and receives encoded payloads ({@code EncodedPayload},
   * protocol v1.2); a server that compresses its traffic refuses clients without it.
   */
  public static final String CODEC_CAPABILITY = "codec/1";

  private Payloads() {}

  /** The wire spec of {@code model} and {@code attachments}. */
  public static PayloadSpec spec(ParameterSet model, Attachments attachments) {
    PayloadSpec.Builder b = PayloadSpec.newBuilder().addAllModel(tensorSpecs(model));
    for (Map.Entry<AttachmentKey, ParameterSet> e : attachments.asMap().entrySet()) {
      b.addAttachments(AttachmentSpec.newBuilder().setKey(e.getKey().name()).addAllTensors(tensorSpecs(e.getValue())));
    }
    return b.build();
  }

  static List<TensorSpec> tensorSpecs(ParameterSet p) {
    List<TensorSpec> out = new ArrayList<>(p.count());
    for (Tensor t : p) {
      TensorSpec.Builder s = TensorSpec.newBuilder().setName(t.name());
      for (int d : t.shape()) {
        s.addShape(d);
      }
      out.add(s.build());
    }
    return out;
  }

  /** The payloads in wire order: the model, then each attachment. */
  public static List<ParameterSet> ordered(ParameterSet model, Attachments attachments) {
    List<ParameterSet> all = new ArrayList<>();
    all.add(model);
    all.addAll(attachments.asMap().values());
    return all;
  }

  /**
   * The chunks of an encoded payload 0: consecutive slices of {@code encoded} of at most {@code chunkBytes}
   * bytes (payload 0, tensor 0, offset in bytes). The slices share {@code encoded}, which must not change.
   */
  public static Iterator<Chunk> encodedChunks(long taskId, byte[] encoded, int chunkBytes) {
    if (chunkBytes <= 0) {
      throw new IllegalArgumentException("chunkBytes must be > 0. Provided value: " + chunkBytes);
    }
    return new Iterator<>() {
      private int offset;

      @Override
      public boolean hasNext() {
        return offset < encoded.length;
      }

      @Override
      public Chunk next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        int n = Math.min(chunkBytes, encoded.length - offset);
        Chunk c = Chunk.newBuilder().setTaskId(taskId).setPayload(0).setTensor(0).setOffset(offset)
            .setData(UnsafeByteOperations.unsafeWrap(encoded, offset, n)).build();
        offset += n;
        return c;
      }
    };
  }

  /** Both in order: the encoded model's slices, then the attachments' float chunks. */
  public static Iterator<Chunk> encodedChunks(long taskId, byte[] encoded, List<ParameterSet> payloads, int chunkValues) {
    return concat(encodedChunks(taskId, encoded, chunkValues * Float.BYTES), chunks(taskId, payloads, chunkValues, 1));
  }

  /** {@code items}, each passed through {@code f} as it is taken. */
  private static <A, B> Iterator<B> map(Iterator<A> items, java.util.function.Function<A, B> f) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return items.hasNext();
      }

      @Override
      public B next() {
        return f.apply(items.next());
      }
    };
  }

  /** {@code head}'s items, then {@code tail}'s. */
  private static <T> Iterator<T> concat(Iterator<? extends T> head, Iterator<? extends T> tail) {
    return new Iterator<>() {
      @Override
      public boolean hasNext() {
        return head.hasNext() || tail.hasNext();
      }

      @Override
      public T next() {
        return head.hasNext() ? head.next() : tail.next();
      }
    };
  }

  /** Float values of the attachments alone (payloads 1, 2, ...), what ends an encoded payload. */
  public static long attachmentValues(List<ParameterSet> payloads) {
    return values(payloads) - payloads.get(0).size();
  }

  /** Number of values of the model tensors {@code spec} describes. */
  public static long modelValues(PayloadSpec spec) {
    long n = 0;
    for (TensorSpec t : spec.getModelList()) {
      long e = 1;
      for (int d : t.getShapeList()) {
        e *= d;
      }
      n += e;
    }
    return n;
  }

  /**
   * A model with the tensors {@code spec} names and the values of {@code flat} (the layout of
   * {@link ParameterSet#flatten()}); throws {@link IllegalArgumentException} when the sizes differ.
   */
  public static ParameterSet unflatten(List<TensorSpec> spec, float[] flat) {
    List<Tensor> out = new ArrayList<>(spec.size());
    int off = 0;
    for (TensorSpec t : spec) {
      int[] shape = t.getShapeList().stream().mapToInt(Integer::intValue).toArray();
      long n = 1;
      for (int d : shape) {
        n *= d;
      }
      if (off + n > flat.length) {
        throw new IllegalArgumentException("decoded " + flat.length + " values, fewer than the model's tensors need");
      }
      out.add(Tensor.of(t.getName(), java.util.Arrays.copyOfRange(flat, off, off + (int) n), shape));
      off += (int) n;
    }
    if (off != flat.length) {
      throw new IllegalArgumentException("decoded " + flat.length + " values; the model has " + off);
    }
    return ParameterSet.of(out);
  }

  /** Total float values of the payloads. */
  public static long values(List<ParameterSet> payloads) {
    long n = 0;
    for (ParameterSet p : payloads) {
      n += p.size();
    }
    return n;
  }

  /**
   * The chunks of {@code payloads}, each carrying at most {@code chunkValues} values of one tensor,
   * created one at a time as the iterator advances.
   */
  public static Iterator<Chunk> chunks(long taskId, List<ParameterSet> payloads, int chunkValues) {
    return chunks(taskId, payloads, chunkValues, 0);
  }

  /**
   * As {@link #chunks(long, List, int)}, starting at payload {@code first} (1 when payload 0, the model,
   * travels encoded instead, see {@link #encodedChunks}).
   */
  public static Iterator<Chunk> chunks(long taskId, List<ParameterSet> payloads, int chunkValues, int first) {
    return chunks(taskId, payloads, chunkValues, first, null);
  }

  /**
   * As {@link #chunks(long, List, int)}, with payload 0 (the model) taken from {@code model}, its encoding
   * shared with every other stream the same model goes to; the attachments are encoded here as usual.
   *
   * @throws IllegalArgumentException if {@code model} encodes another model or uses another chunk size
   */
  public static Iterator<Chunk> chunks(long taskId, List<ParameterSet> payloads, int chunkValues, SharedModel model) {
    if (model.model != payloads.get(0) || model.chunkValues != chunkValues) {
      throw new IllegalArgumentException("the shared encoding is of another model or chunk size (" + model.chunkValues
          + " values per chunk, asked for " + chunkValues + ")");
    }
    return chunks(taskId, payloads, chunkValues, 0, model);
  }

  /**
   * The float32 chunks of one model, encoded once and shared by every stream that sends it (the server
   * broadcasting the global model to all clients of a round): each chunk's little-endian bytes are made on
   * first use and then reused, so the server encodes the model once per round instead of once per client.
   * A chunk is held through a {@link SoftReference}: under memory pressure the collector may drop it and
   * the next stream encodes it again, so sharing never costs more than the heap can spare (a model of
   * half the heap still goes out). Thread-safe; the model must not change while it is being sent.
   */
  public static final class SharedModel {
    private final ParameterSet model;
    private final int chunkValues;
    private final int round;
    private final List<AtomicReferenceArray<SoftReference<ByteString>>> chunks = new ArrayList<>();
    private final AtomicLong encodings = new AtomicLong();
    private final boolean direct;

    /**
     * @param round the round it is shared for: a model object changed in place and sent again in a later
     *     round is never served from an older round's encoding ({@link #isFor})
     */
    public SharedModel(ParameterSet model, int chunkValues, int round) {
      this(model, chunkValues, round, false);
    }

    /**
     * As above; with {@code direct} the chunks are encoded into direct buffers, which a socket writes without first
     * copying them (what a byte lane wants: the server then writes every client's download from the one encoding).
     */
    public SharedModel(ParameterSet model, int chunkValues, int round, boolean direct) {
      this.direct = direct;
      if (chunkValues <= 0) {
        throw new IllegalArgumentException("chunkValues must be > 0. Provided value: " + chunkValues);
      }
      this.model = model;
      this.chunkValues = chunkValues;
      this.round = round;
      for (Tensor t : model) {
        chunks.add(new AtomicReferenceArray<>((t.size() + chunkValues - 1) / chunkValues));
      }
    }

    /** Whether this encodes {@code m} (the same object) in chunks of {@code values} for round {@code r}. */
    public boolean isFor(ParameterSet m, int values, int r) {
      return model == m && chunkValues == values && round == r;
    }

    /** Chunks encoded so far (a chunk dropped under memory pressure and encoded again counts twice). */
    public long encodings() {
      return encodings.get();
    }

    ByteString chunk(int tensor, int offset, int n) {
      AtomicReferenceArray<SoftReference<ByteString>> cs = chunks.get(tensor);
      int k = offset / chunkValues;
      SoftReference<ByteString> ref = cs.get(k);
      ByteString b = ref == null ? null : ref.get();
      if (b == null) {
        // concurrent first users may both encode: the bytes are the same, either copy serves
        float[] data = model.tensors().get(tensor).data();
        b = direct ? encodeDirect(data, offset, n) : encode(data, offset, n);
        encodings.incrementAndGet();
        cs.set(k, new SoftReference<>(b));
      }
      return b;
    }
  }

  private static ByteString encodeDirect(float[] data, int offset, int n) {
    ByteBuffer buf = ByteBuffer.allocateDirect(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(data, offset, n);
    return UnsafeByteOperations.unsafeWrap(buf.asReadOnlyBuffer());
  }

  private static ByteString encode(float[] data, int offset, int n) {
    ByteBuffer buf = ByteBuffer.allocate(n * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().put(data, offset, n);
    return UnsafeByteOperations.unsafeWrap(buf.array());
  }

  /**
   * A chunk message and the bytes that follow it on a byte lane: for a lane, an announcement ({@code lane_bytes}, no
   * data) and its bytes; in the stream, the whole chunk and {@link ByteLane.Trailer#NONE}.
   */
  public record LaneChunk(Chunk announcement, ByteLane.Trailer trailer) {}

  /** {@code chunks} as they travel in the stream: each carries its data, nothing follows on a lane. */
  public static Iterator<LaneChunk> inStream(Iterator<Chunk> chunks) {
    return map(chunks, c -> new LaneChunk(c, ByteLane.Trailer.NONE));
  }

  /**
   * The payloads' float chunks for a byte lane, in the stream's order: chunks of up to {@link ByteLane#CHUNK_VALUES}
   * values (so a tensor of up to 16 Mi values is one announcement), each announcing {@code lane_bytes} and carrying
   * its values as a trailer written straight from the tensor.
   */
  public static Iterator<LaneChunk> laneChunks(long taskId, List<ParameterSet> payloads) {
    return laneChunks(taskId, payloads, 0, null);
  }

  /**
   * As {@link #laneChunks(long, List)}, the model's chunks taken from {@code shared} (encoded once for every client,
   * in chunks of {@link ByteLane#CHUNK_VALUES} values; a direct encoding is written without a copy).
   */
  public static Iterator<LaneChunk> laneChunks(long taskId, List<ParameterSet> payloads, SharedModel shared) {
    if (shared != null && shared.chunkValues != ByteLane.CHUNK_VALUES) {
      throw new IllegalArgumentException("a lane's shared model needs chunks of " + ByteLane.CHUNK_VALUES + " values");
    }
    return laneChunks(taskId, payloads, 0, shared);
  }

  private static Iterator<LaneChunk> laneChunks(long taskId, List<ParameterSet> payloads, int first, SharedModel shared) {
    // announcements only (lane_bytes set, no data); each one's values follow as its trailer
    return map(chunks(taskId, payloads, ByteLane.CHUNK_VALUES, first, null, true), c -> {
      int n = c.getLaneBytes() / Float.BYTES;
      if (c.getPayload() == 0 && shared != null) {
        return new LaneChunk(c, ByteLane.Trailer.of(shared.chunk(c.getTensor(), (int) c.getOffset(), n)));
      }
      float[] data = payloads.get(c.getPayload()).tensors().get(c.getTensor()).data();
      return new LaneChunk(c, ByteLane.Trailer.floats(data, (int) c.getOffset(), n));
    });
  }

  /** As {@link #encodedChunks(long, byte[], List, int)} for a byte lane: the encoded slices, then the attachments. */
  public static Iterator<LaneChunk> laneEncodedChunks(long taskId, byte[] encoded, List<ParameterSet> payloads) {
    Iterator<LaneChunk> slices = map(encodedChunks(taskId, encoded, ByteLane.MAX_CHUNK_BYTES),
        c -> new LaneChunk(c.toBuilder().clearData().setLaneBytes(c.getData().size()).build(),
            ByteLane.Trailer.of(c.getData())));
    return concat(slices, laneChunks(taskId, payloads, 1, null));
  }

  private static Iterator<Chunk> chunks(long taskId, List<ParameterSet> payloads, int chunkValues, int first,
      SharedModel shared) {
    return chunks(taskId, payloads, chunkValues, first, shared, false);
  }

  /** With {@code announceOnly}, each chunk carries {@code lane_bytes} instead of its data (nothing is encoded). */
  private static Iterator<Chunk> chunks(long taskId, List<ParameterSet> payloads, int chunkValues, int first,
      SharedModel shared, boolean announceOnly) {
    if (chunkValues <= 0) {
      throw new IllegalArgumentException("chunkValues must be > 0. Provided value: " + chunkValues);
    }
    return new Iterator<>() {
      private int payload = first;
      private int tensor;
      private int offset;

      {
        skipEmpty();
      }

      private void skipEmpty() {
        while (payload < payloads.size()) {
          List<Tensor> ts = payloads.get(payload).tensors();
          if (tensor < ts.size() && offset < ts.get(tensor).size()) {
            return;
          }
          if (tensor < ts.size()) {
            tensor++;
            offset = 0;
          } else {
            payload++;
            tensor = 0;
            offset = 0;
          }
        }
      }

      @Override
      public boolean hasNext() {
        return payload < payloads.size();
      }

      @Override
      public Chunk next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        float[] data = payloads.get(payload).tensors().get(tensor).data();
        int n = Math.min(chunkValues, data.length - offset);
        Chunk.Builder b = Chunk.newBuilder().setTaskId(taskId).setPayload(payload).setTensor(tensor).setOffset(offset);
        if (announceOnly) {
          b.setLaneBytes(n * Float.BYTES);
        } else {
          b.setData(payload == 0 && shared != null ? shared.chunk(tensor, offset, n) : encode(data, offset, n));
        }
        Chunk c = b.build();
        offset += n;
        skipEmpty();
        return c;
      }
    };
  }
}
