package dev.starling.ledger.ratis;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * What travels between {@link RaftLedger} and {@link LedgerStateMachine}. A log entry is one block's
 * canonical bytes. An append's reply is a status byte ({@link Status}) and a UTF-8 detail. A query is
 * the index (i64) to read from; its reply is a count (u32), then each block as length (u32) and bytes.
 */
final class Wire {
  private Wire() {}

  /** What the state machine did with a block. */
  enum Status {
    APPENDED, ALREADY_HELD, REFUSED
  }

  record Reply(Status status, String detail) {}

  static Message reply(Status s, String detail) {
    byte[] d = detail.getBytes(StandardCharsets.UTF_8);
    return Message.valueOf(ByteString.copyFrom(ByteBuffer.allocate(1 + d.length).put((byte) s.ordinal()).put(d).flip()));
  }

  static Reply readReply(ByteString bytes) {
    byte[] b = bytes.toByteArray();
    if (b.length == 0 || b[0] < 0 || b[0] >= Status.values().length) {
      throw new IllegalArgumentException("not a ledger node reply (" + b.length + " bytes)");
    }
    return new Reply(Status.values()[b[0]], new String(b, 1, b.length - 1, StandardCharsets.UTF_8));
  }

  static Message query(long from) {
    return Message.valueOf(ByteString.copyFrom(ByteBuffer.allocate(8).putLong(from).flip()));
  }

  static long readQuery(ByteString bytes) {
    if (bytes.size() != 8) {
      throw new IllegalArgumentException("a ledger query is 8 bytes (the first index), got " + bytes.size());
    }
    return bytes.asReadOnlyByteBuffer().getLong();
  }

  static Message blocks(List<byte[]> payloads) {
    int size = 4;
    for (byte[] p : payloads) {
      size += 4 + p.length;
    }
    ByteBuffer b = ByteBuffer.allocate(size).putInt(payloads.size());
    for (byte[] p : payloads) {
      b.putInt(p.length).put(p);
    }
    return Message.valueOf(ByteString.copyFrom(b.flip()));
  }

  static List<byte[]> readBlocks(ByteString bytes) {
    ByteBuffer b = bytes.asReadOnlyByteBuffer();
    int n = b.getInt();
    List<byte[]> out = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      byte[] p = new byte[b.getInt()];
      b.get(p);
      out.add(p);
    }
    return out;
  }
}
