package dev.starling.transport.grpc.wire;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.transport.grpc.proto.Chunk;

/**
 * Reassembles an encoded payload 0 ({@code EncodedPayload}): byte slices in order (tensor 0, offsets
 * contiguous from 0) into one buffer of the announced length, allocated only after the length has been
 * checked against a limit. The first problem throws {@link FlException} INVALID_ARGUMENT naming
 * {@code source}. Not thread-safe.
 */
public final class EncodedAssembler {
  private final String source;
  private final byte[] data;
  private int filled;

  /**
   * Room for {@code bytes} bytes, after checking {@code 0 < bytes <= maxBytes}.
   *
   * @param source names the sender in error messages, e.g. "update of client c1 (round 3)"
   */
  public EncodedAssembler(long bytes, long maxBytes, String source) {
    this.source = source;
    check(bytes, maxBytes, source);
    data = new byte[(int) bytes];
  }

  /** Checks an announced length without allocating: positive, at most {@code maxBytes} and an array's limit. */
  public static void check(long bytes, long maxBytes, String source) {
    if (bytes <= 0 || bytes > maxBytes || bytes > Integer.MAX_VALUE - 8) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": announces an encoding of " + bytes
          + " bytes; expected 1 to " + Math.min(maxBytes, Integer.MAX_VALUE - 8) + (bytes > 0 ? " (oversize)" : ""));
    }
  }

  /** The most bytes a {@code CodecChain} encoding of {@code values} values may take (sparse fp32 with zstd framing). */
  public static long maxEncodedBytes(long values) {
    // per value at most a 5-byte position varint and 4 value bytes; zstd's bound adds 1/128 and a frame header
    return values * 9 + values / 128 + 1024;
  }

  /** Copies one slice into place after checking it. */
  public void accept(Chunk c) {
    int n = check(c, c.getData().size());
    c.getData().copyTo(data, filled);
    filled += n;
  }

  /**
   * Copies one slice whose bytes follow on {@code lane} into place after checking it; a refused slice's bytes are
   * read and dropped first, so the lane stays in step with the stream.
   *
   * @throws java.io.IOException if the lane fails or ends early
   */
  public void accept(Chunk c, ByteLane lane) throws java.io.IOException {
    int bytes = c.getLaneBytes();
    if (bytes > ByteLane.MAX_CHUNK_BYTES) {
      throw new java.io.IOException(source + ": a slice announces " + bytes + " lane bytes, more than "
          + ByteLane.MAX_CHUNK_BYTES);
    }
    try {
      check(c, bytes);
    } catch (FlException e) {
      lane.skip(bytes);
      throw e;
    }
    lane.read(bytes, b -> {
      int k = b.remaining();
      b.get(data, filled, k);
      filled += k;
    });
  }

  private int check(Chunk c, int n) {
    if (c.getPayload() != 0 || c.getTensor() != 0 || c.getOffset() != filled) {
      throw invalid("encoded slice out of order: got payload " + c.getPayload() + " tensor " + c.getTensor() + " offset "
          + c.getOffset() + ", expected payload 0 tensor 0 offset " + filled);
    }
    if (n == 0 || n > data.length - filled) {
      throw invalid("encoded slice at offset " + filled + " carries " + n + " bytes; " + (data.length - filled)
          + " of the announced " + data.length + " remain" + (n == 0 ? "" : " (oversize)"));
    }
    return n;
  }

  public boolean isComplete() {
    return filled == data.length;
  }

  /** The encoding, once complete. */
  public byte[] bytes() {
    if (!isComplete()) {
      throw invalid("ended early: " + filled + " of the announced " + data.length + " encoded bytes");
    }
    return data;
  }

  private FlException invalid(String what) {
    return new FlException(ErrorCode.INVALID_ARGUMENT, source + ": " + what);
  }
}
