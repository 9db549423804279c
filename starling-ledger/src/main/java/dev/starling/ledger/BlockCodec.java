package dev.starling.ledger;

import dev.starling.ledger.RoundEntry.Contribution;
import dev.starling.ledger.RoundEntry.Flag;
import dev.starling.ledger.RoundEntry.Participant;
import dev.starling.ledger.RoundEntry.Rejection;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.BufferUnderflowException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The canonical, versioned binary form of a {@link Block}: what is hashed, signed and stored. Big-endian;
 * in order: magic {@code SLBK}, version (u16, {@value #VERSION}), index (i64), previous_hash (32),
 * time_millis (i64), round (i32), config_hash (32), model_before (32), model_after (32), participants
 * (u32 count; each client (str), update_hash (32), examples (i64), client_key (bytes), client_signature
 * (bytes)), rejected (count; client, code, reason), flags (count; client, kind, detail),
 * contribution_method (str), contributions (count; client, score (f64), reward (f64)), epsilon_spent
 * (f64), signer_key (bytes), then signature (bytes). A str is a u16 length and UTF-8; bytes are a u16
 * length and the bytes; NaN is written as the canonical NaN. The signature covers every byte before it
 * ({@link #signedBytes}). {@link #decode} accepts exactly what {@link #encode} writes.
 */
public final class BlockCodec {
  public static final int VERSION = 1;
  private static final byte[] MAGIC = {'S', 'L', 'B', 'K'};
  private static final int MAX_SMALL = 0xFFFF;

  private BlockCodec() {}

  /** The canonical bytes of {@code b}, signature included. */
  public static byte[] encode(Block b) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    DataOutputStream out = new DataOutputStream(bytes);
    try {
      writeSigned(out, b.index(), b.previousHash(), b.timeMillis(), b.body(), b.signerKey());
      writeBytes(out, b.signature(), "signature");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** The bytes the aggregator signs: everything in the canonical form before the signature. */
  public static byte[] signedBytes(long index, byte[] previousHash, long timeMillis, RoundEntry body, byte[] signerKey) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream(256);
    try {
      writeSigned(new DataOutputStream(bytes), index, previousHash, timeMillis, body, signerKey);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  public static byte[] signedBytes(Block b) {
    return signedBytes(b.index(), b.previousHash(), b.timeMillis(), b.body(), b.signerKey());
  }

  private static void writeSigned(DataOutputStream out, long index, byte[] prev, long time, RoundEntry e, byte[] key)
      throws IOException {
    out.write(MAGIC);
    out.writeShort(VERSION);
    out.writeLong(index);
    out.write(prev);
    out.writeLong(time);
    out.writeInt(e.round());
    out.write(e.configHash());
    out.write(e.modelBefore());
    out.write(e.modelAfter());
    out.writeInt(e.participants().size());
    for (Participant p : e.participants()) {
      writeString(out, p.client(), "participant client");
      out.write(p.updateHash());
      out.writeLong(p.examples());
      writeBytes(out, p.clientKey(), "client_key");
      writeBytes(out, p.clientSignature(), "client_signature");
    }
    out.writeInt(e.rejected().size());
    for (Rejection r : e.rejected()) {
      writeString(out, r.client(), "rejected client");
      writeString(out, r.code(), "rejected code");
      writeString(out, r.reason(), "rejected reason");
    }
    out.writeInt(e.flags().size());
    for (Flag f : e.flags()) {
      writeString(out, f.client(), "flag client");
      writeString(out, f.kind(), "flag kind");
      writeString(out, f.detail(), "flag detail");
    }
    writeString(out, e.contributionMethod(), "contribution_method");
    out.writeInt(e.contributions().size());
    for (Contribution c : e.contributions()) {
      writeString(out, c.client(), "contribution client");
      out.writeLong(Double.doubleToLongBits(c.score()));
      out.writeLong(Double.doubleToLongBits(c.reward()));
    }
    out.writeLong(Double.doubleToLongBits(e.epsilonSpent()));
    writeBytes(out, key, "signer_key");
  }

  private static void writeString(DataOutputStream out, String s, String what) throws IOException {
    writeBytes(out, truncateUtf8(s), what);
  }

  /** Reasons can be long; the ledger keeps at most 65535 bytes of UTF-8, cut at a character boundary. */
  private static byte[] truncateUtf8(String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length <= MAX_SMALL) {
      return b;
    }
    int end = MAX_SMALL;
    while ((b[end] & 0xC0) == 0x80) {
      end--;
    }
    return Arrays.copyOf(b, end);
  }

  private static void writeBytes(DataOutputStream out, byte[] b, String what) throws IOException {
    if (b.length > MAX_SMALL) {
      throw new IllegalArgumentException(what + " is " + b.length + " bytes, more than " + MAX_SMALL);
    }
    out.writeShort(b.length);
    out.write(b);
  }

  /** Decodes canonical bytes; a {@link LedgerFormatException} names the field that does not parse. */
  public static Block decode(byte[] bytes) {
    Reader r = new Reader(ByteBuffer.wrap(bytes));
    byte[] magic = r.bytes("magic", 4);
    if (!Arrays.equals(magic, MAGIC)) {
      throw r.fail("not a ledger block (magic " + Arrays.toString(magic) + ")");
    }
    int version = r.u16("version");
    if (version != VERSION) {
      throw r.fail("unsupported block version " + version + " (this build reads " + VERSION + ")");
    }
    long index = r.i64("index");
    if (index < 0) {
      throw r.fail("negative index " + index);
    }
    byte[] prev = r.bytes("previous_hash", Digests.LENGTH);
    long time = r.i64("time_millis");
    int round = r.i32("round");
    if (round < 0) {
      throw r.fail("negative round " + round);
    }
    byte[] config = r.bytes("config_hash", Digests.LENGTH);
    byte[] before = r.bytes("model_before", Digests.LENGTH);
    byte[] after = r.bytes("model_after", Digests.LENGTH);
    int np = r.count("participants", 8 + Digests.LENGTH + 8);
    List<Participant> parts = new ArrayList<>(np);
    for (int i = 0; i < np; i++) {
      String f = "participants[" + i + "].";
      String client = r.str(f + "client");
      byte[] hash = r.bytes(f + "update_hash", Digests.LENGTH);
      long examples = r.i64(f + "examples");
      if (examples < 0) {
        throw r.fail("negative example count " + examples);
      }
      byte[] key = r.var(f + "client_key");
      byte[] sig = r.var(f + "client_signature");
      parts.add(new Participant(client, hash, examples, key, sig));
    }
    int nr = r.count("rejected", 6);
    List<Rejection> rejected = new ArrayList<>(nr);
    for (int i = 0; i < nr; i++) {
      String f = "rejected[" + i + "].";
      rejected.add(new Rejection(r.str(f + "client"), r.str(f + "code"), r.str(f + "reason")));
    }
    int nf = r.count("flags", 6);
    List<Flag> flags = new ArrayList<>(nf);
    for (int i = 0; i < nf; i++) {
      String f = "flags[" + i + "].";
      flags.add(new Flag(r.str(f + "client"), r.str(f + "kind"), r.str(f + "detail")));
    }
    String method = r.str("contribution_method");
    int nc = r.count("contributions", 18);
    List<Contribution> contributions = new ArrayList<>(nc);
    for (int i = 0; i < nc; i++) {
      String f = "contributions[" + i + "].";
      contributions.add(new Contribution(r.str(f + "client"), r.f64(f + "score"), r.f64(f + "reward")));
    }
    double epsilon = r.f64("epsilon_spent");
    byte[] signer = r.var("signer_key");
    byte[] signature = r.var("signature");
    if (r.buf.hasRemaining()) {
      r.field = "end";
      r.start = r.buf.position();
      throw r.fail(r.buf.remaining() + " bytes after the signature");
    }
    RoundEntry body = new RoundEntry(round, config, before, after, parts, rejected, flags, method, contributions, epsilon);
    return new Block(index, prev, time, body, signer, signature);
  }

  private static final class Reader {
    final ByteBuffer buf;
    String field = "magic";
    int start;

    Reader(ByteBuffer buf) {
      this.buf = buf;
    }

    private void at(String f) {
      field = f;
      start = buf.position();
    }

    LedgerFormatException fail(String message) {
      return new LedgerFormatException(field, start, message);
    }

    byte[] bytes(String f, int n) {
      at(f);
      if (buf.remaining() < n) {
        throw fail("needs " + n + " bytes, " + buf.remaining() + " left");
      }
      byte[] b = new byte[n];
      buf.get(b);
      return b;
    }

    int u16(String f) {
      at(f);
      try {
        return buf.getShort() & 0xFFFF;
      } catch (BufferUnderflowException e) {
        throw fail("truncated");
      }
    }

    int i32(String f) {
      at(f);
      try {
        return buf.getInt();
      } catch (BufferUnderflowException e) {
        throw fail("truncated");
      }
    }

    long i64(String f) {
      at(f);
      try {
        return buf.getLong();
      } catch (BufferUnderflowException e) {
        throw fail("truncated");
      }
    }

    double f64(String f) {
      long bits = i64(f);
      double d = Double.longBitsToDouble(bits);
      if (Double.doubleToLongBits(d) != bits) {
        throw fail("non-canonical NaN");
      }
      return d;
    }

    int count(String f, int minBytesEach) {
      int n = i32(f);
      if (n < 0 || (long) n * minBytesEach > buf.remaining()) {
        throw fail("count " + n + " does not fit in the " + buf.remaining() + " bytes left");
      }
      return n;
    }

    byte[] var(String f) {
      int n = u16(f);
      if (buf.remaining() < n) {
        throw fail("length " + n + " but " + buf.remaining() + " bytes left");
      }
      byte[] b = new byte[n];
      buf.get(b);
      return b;
    }

    String str(String f) {
      byte[] b = var(f);
      try {
        return StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(b)).toString();
      } catch (CharacterCodingException e) {
        throw fail("not UTF-8");
      }
    }
  }
}
