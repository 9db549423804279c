package dev.starling.transport.grpc.wire;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.proto.AttachmentSpec;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.proto.PayloadSpec;
import dev.starling.transport.grpc.proto.TensorSpec;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;

/**
 * Reassembles a chunked payload into preallocated float arrays, checking every chunk as it arrives:
 * payload and tensor in range, chunks in order with contiguous offsets, whole float32 values, nothing
 * beyond the tensor's end, and (optionally) only finite values. The first problem throws
 * {@link FlException} INVALID_ARGUMENT naming {@code source}, the tensor and the offset; the caller then
 * drops the assembler, so a bad payload never reaches a strategy. Not thread-safe.
 */
public final class ChunkAssembler {
  private final String source;
  private final boolean requireFinite;
  private final List<String> keys = new ArrayList<>();
  private final List<List<TensorSpec>> specs = new ArrayList<>();
  private final float[][][] data; // [payload][tensor][value]
  private final float[][] maxAbs; // [payload][tensor]: largest magnitude received so far (requireFinite only)
  private int payload;
  private int tensor;
  private long offset;
  private long received;

  /**
   * Allocates room for the payload described by {@code spec}, after checking it holds at most
   * {@code maxValues} values in total.
   *
   * @param source names the sender in error messages, e.g. "update of client c1 (round 3)"
   */
  public ChunkAssembler(PayloadSpec spec, long maxValues, boolean requireFinite, String source) {
    this(spec, maxValues, requireFinite, source, false);
  }

  /**
   * As above; with {@code attachmentsOnly} the model (payload 0) is not expected as float chunks (it
   * travels encoded, see {@link EncodedAssembler}) and only the attachments are reassembled (finish with
   * {@link #attachments(long)}).
   */
  public ChunkAssembler(PayloadSpec spec, long maxValues, boolean requireFinite, String source, boolean attachmentsOnly) {
    this.source = source;
    this.requireFinite = requireFinite;
    keys.add("");
    specs.add(attachmentsOnly ? List.of() : spec.getModelList());
    for (AttachmentSpec a : spec.getAttachmentsList()) {
      keys.add(a.getKey());
      specs.add(a.getTensorsList());
    }
    check(attachmentsOnly ? spec.toBuilder().clearModel().build() : spec, maxValues, source);
    data = new float[specs.size()][][];
    maxAbs = new float[specs.size()][];
    for (int p = 0; p < specs.size(); p++) {
      List<TensorSpec> ts = specs.get(p);
      data[p] = new float[ts.size()][];
      maxAbs[p] = new float[ts.size()];
      for (int t = 0; t < ts.size(); t++) {
        data[p][t] = new float[(int) elements(ts.get(t))];
      }
    }
    skipComplete();
  }

  /**
   * Checks {@code spec} without allocating anything: valid shapes and at most {@code maxValues} values
   * in total. Returns the total. Lets a receiver refuse an oversize payload before reserving memory.
   */
  public static long check(PayloadSpec spec, long maxValues, String source) {
    long total = 0;
    List<TensorSpec> all = new ArrayList<>(spec.getModelList());
    spec.getAttachmentsList().forEach(a -> all.addAll(a.getTensorsList()));
    for (TensorSpec t : all) {
      total += elements(t, source);
    }
    if (total > maxValues) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT,
          source + ": announces " + total + " values, more than the limit of " + maxValues + " (oversize)");
    }
    return total;
  }

  private long elements(TensorSpec t) {
    return elements(t, source);
  }

  private static long elements(TensorSpec t, String source) {
    if (t.getShapeCount() == 0) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": tensor '" + t.getName() + "' has no shape");
    }
    long n = 1;
    for (int d : t.getShapeList()) {
      if (d <= 0) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT,
            source + ": tensor '" + t.getName() + "' has non-positive dimension " + d);
      }
      n *= d;
      if (n > Integer.MAX_VALUE - 8) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT,
            source + ": tensor '" + t.getName() + "' has more than 2^31 - 9 values (oversize)");
      }
    }
    return n;
  }

  /** Copies one chunk into place after checking it. */
  public void accept(Chunk c) {
    int n = check(c, c.getData().size());
    ByteBuffer buf = c.getData().asReadOnlyByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
    buf.asFloatBuffer().get(data[payload][tensor], (int) offset, n);
    measured(n);
  }

  /**
   * Copies one chunk whose bytes follow on {@code lane} ({@code Chunk.lane_bytes}) into place after checking it,
   * reading them straight from the lane's buffer into the model. A chunk that fails the checks has its bytes
   * read and dropped first, so the lane stays in step with the stream.
   *
   * @throws IOException if the lane fails or ends before the announced bytes (the lane is then unusable)
   */
  public void accept(Chunk c, ByteLane lane) throws IOException {
    int bytes = c.getLaneBytes();
    if (bytes > ByteLane.MAX_CHUNK_BYTES) {
      throw new IOException(source + ": a chunk announces " + bytes + " lane bytes, more than "
          + ByteLane.MAX_CHUNK_BYTES);
    }
    int n;
    try {
      n = check(c, bytes);
    } catch (FlException e) {
      lane.skip(bytes);
      throw e;
    }
    float[] dst = data[payload][tensor];
    int[] pos = {(int) offset};
    int[] carry = new int[2]; // bytes of a value split across two reads so far, and their bits
    lane.read(bytes, b -> pos[0] = copyFloats(b.order(ByteOrder.LITTLE_ENDIAN), dst, pos[0], carry));
    measured(n);
  }

  /**
   * Copies the little-endian float32 values of {@code b} into {@code dst} from {@code at}, carrying the bytes of a
   * value that {@code b} ends in the middle of over to the next call in {@code carry}; returns the next index.
   */
  static int copyFloats(ByteBuffer b, float[] dst, int at, int[] carry) {
    int pos = at;
    while (carry[0] > 0 && b.hasRemaining()) {
      carry[1] |= (b.get() & 0xff) << (8 * carry[0]);
      if (++carry[0] == Float.BYTES) {
        dst[pos++] = Float.intBitsToFloat(carry[1]);
        carry[0] = 0;
        carry[1] = 0;
      }
    }
    int whole = b.remaining() / Float.BYTES;
    b.asFloatBuffer().get(dst, pos, whole);
    pos += whole;
    b.position(b.position() + whole * Float.BYTES);
    while (b.hasRemaining()) {
      carry[1] |= (b.get() & 0xff) << (8 * carry[0]++);
    }
    return pos;
  }

  /** Checks a chunk of {@code bytes} bytes against what is expected next; returns its number of values. */
  private int check(Chunk c, int bytes) {
    if (isComplete()) {
      throw invalid("sent a chunk after the payload was complete (payload " + c.getPayload() + ", tensor "
          + c.getTensor() + ", offset " + c.getOffset() + "): oversize");
    }
    if (c.getPayload() != payload || c.getTensor() != tensor || c.getOffset() != offset) {
      throw invalid("chunk out of order: got payload " + c.getPayload() + " tensor " + c.getTensor() + " offset "
          + c.getOffset() + ", expected payload " + payload + " tensor " + tensor + " offset " + offset);
    }
    if (bytes == 0 || bytes % Float.BYTES != 0) {
      throw invalid("chunk of tensor '" + name() + "' at offset " + offset + " has " + bytes
          + " bytes, not a positive multiple of 4");
    }
    float[] dst = data[payload][tensor];
    int n = bytes / Float.BYTES;
    if (offset + n > dst.length) {
      throw invalid("chunk of tensor '" + name() + "' at offset " + offset + " carries " + n + " values but the tensor has "
          + dst.length + " (oversize)");
    }
    return n;
  }

  /** After {@code n} values were copied in at the current position: finiteness, magnitude, next position. */
  private void measured(int n) {
    float[] dst = data[payload][tensor];
    if (requireFinite) {
      // one pass gives both the finiteness check and the tensor's largest magnitude, which the built tensor
      // carries (Tensor.ofMeasured), so neither validation nor aggregation reads the values again for it
      float m = Tensor.maxAbs(dst, (int) offset, (int) offset + n);
      if (!(m <= Float.MAX_VALUE)) {
        for (int i = (int) offset, end = (int) offset + n; i < end; i++) {
          if (!Float.isFinite(dst[i])) {
            throw invalid("tensor '" + name() + "' has non-finite value " + dst[i] + " at index " + i);
          }
        }
      }
      maxAbs[payload][tensor] = Math.max(maxAbs[payload][tensor], m);
    }
    offset += n;
    received += n;
    skipComplete();
  }

  private String name() {
    return specs.get(payload).get(tensor).getName();
  }

  private void skipComplete() {
    while (payload < specs.size()) {
      if (tensor < specs.get(payload).size() && offset < data[payload][tensor].length) {
        return;
      }
      if (tensor < specs.get(payload).size()) {
        tensor++;
      } else {
        payload++;
        tensor = 0;
      }
      offset = 0;
    }
  }

  public boolean isComplete() {
    return payload >= specs.size();
  }

  /** Values received so far. */
  public long received() {
    return received;
  }

  /** Checks completeness against the sender's own count and returns the model. */
  public ParameterSet model(long announcedValues) {
    checkDone(announcedValues);
    return build(0);
  }

  /** Checks completeness against the sender's own count and returns the attachments (attachments-only mode). */
  public Attachments attachments(long announcedValues) {
    checkDone(announcedValues);
    return attachments();
  }

  /** The attachments (call after {@link #model}). */
  public Attachments attachments() {
    Attachments a = Attachments.none();
    for (int p = 1; p < specs.size(); p++) {
      a = a.with(new AttachmentKey(keys.get(p)), build(p));
    }
    return a;
  }

  private void checkDone(long announcedValues) {
    if (!isComplete()) {
      throw invalid("ended early: tensor '" + name() + "' has " + offset + " of " + data[payload][tensor].length + " values");
    }
    if (announcedValues != received) {
      throw invalid("announced " + announcedValues + " values at the end but sent " + received);
    }
  }

  private ParameterSet build(int p) {
    List<Tensor> out = new ArrayList<>();
    List<TensorSpec> ts = specs.get(p);
    for (int t = 0; t < ts.size(); t++) {
      int[] shape = ts.get(t).getShapeList().stream().mapToInt(Integer::intValue).toArray();
      try {
        out.add(requireFinite ? Tensor.ofMeasured(ts.get(t).getName(), data[p][t], maxAbs[p][t], shape)
            : Tensor.of(ts.get(t).getName(), data[p][t], shape));
      } catch (IllegalArgumentException e) {
        throw invalid(e.getMessage());
      }
    }
    try {
      return ParameterSet.of(out);
    } catch (IllegalArgumentException e) {
      throw invalid(e.getMessage());
    }
  }

  private FlException invalid(String what) {
    return new FlException(ErrorCode.INVALID_ARGUMENT, source + ": " + what);
  }
}
