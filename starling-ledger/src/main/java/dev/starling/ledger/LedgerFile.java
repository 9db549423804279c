package dev.starling.ledger;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.zip.CRC32C;

/**
 * The on-disk framing of a file ledger: an 8-byte header {@code SLEDGER1}, then one record per block:
 * payload length (u32), CRC32C of the payload (u32), payload (the block's canonical bytes). Appends are
 * forced to disk before they are acknowledged, so after a crash only the last record can be torn.
 */
public final class LedgerFile {
  static final byte[] HEADER = {'S', 'L', 'E', 'D', 'G', 'E', 'R', '1'};
  static final int FRAME = 8;
  /** A block larger than this is refused as a framing error, not allocated. */
  static final int MAX_RECORD = 64 << 20;

  private LedgerFile() {}

  /** One framed record as read: where it starts, its payload, and whether its CRC matched. */
  public record Record(long offset, byte[] payload, boolean crcOk) {}

  /**
   * What a scan found: the complete records, the file offset after the last complete one, and, when the
   * file does not end there, why (a torn or impossible last frame; empty when the file ends cleanly).
   */
  public record Scan(boolean headerOk, List<Record> records, long goodEnd, long fileSize, String tail) {}

  /** Reads every complete record of {@code file} without changing it. */
  public static Scan scan(Path file) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      ByteBuffer head = ByteBuffer.allocate(HEADER.length);
      readFully(ch, head, 0);
      if (head.position() < HEADER.length || !Arrays.equals(head.array(), HEADER)) {
        return new Scan(false, List.of(), 0, size, "the file does not start with the ledger header SLEDGER1");
      }
      List<Record> records = new ArrayList<>();
      long pos = HEADER.length;
      while (pos < size) {
        if (size - pos < FRAME) {
          return new Scan(true, records, pos, size, "record " + records.size() + " at byte " + pos
              + ": torn frame header (" + (size - pos) + " of " + FRAME + " bytes)");
        }
        ByteBuffer frame = ByteBuffer.allocate(FRAME);
        readFully(ch, frame, pos);
        frame.flip();
        long len = Integer.toUnsignedLong(frame.getInt());
        int crc = frame.getInt();
        if (len > MAX_RECORD || pos + FRAME + len > size) {
          return new Scan(true, records, pos, size, "record " + records.size() + " at byte " + pos + ": length " + len
              + " runs past the end of the file (" + (size - pos - FRAME) + " bytes left)");
        }
        ByteBuffer payload = ByteBuffer.allocate((int) len);
        readFully(ch, payload, pos + FRAME);
        CRC32C c = new CRC32C();
        c.update(payload.array());
        records.add(new Record(pos, payload.array(), (int) c.getValue() == crc));
        pos += FRAME + len;
      }
      return new Scan(true, records, pos, size, "");
    }
  }

  /** The frame and payload of one record. */
  static ByteBuffer frame(byte[] payload) {
    CRC32C c = new CRC32C();
    c.update(payload);
    ByteBuffer b = ByteBuffer.allocate(FRAME + payload.length);
    b.putInt(payload.length).putInt((int) c.getValue()).put(payload).flip();
    return b;
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int n = ch.read(b, pos + b.position());
      if (n < 0) {
        return;
      }
    }
  }
}
