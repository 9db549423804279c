package dev.starling.ledger;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The embedded single-node ledger: {@code DIR/ledger.bin} ({@link LedgerFile}'s framing), appended and
 * forced to disk before {@link #append} returns. Opening recovers from a crash mid-append by cutting a
 * torn last record (it was never acknowledged); a complete record whose CRC or chain is wrong is not a
 * crash but damage, and opening refuses it (run {@link LedgerVerifier} to see where). Not thread-safe:
 * one writer (the round loop) per directory.
 *
 * <p>A replica ({@link #openReplica}: a ledger node storing the aggregator's chain) holds no key: it
 * stores blocks signed elsewhere through {@link #appendSigned}, which checks index, chain, signer and
 * signature first, and treats a block it already holds (same index, same bytes) as done, so a retried
 * or replayed append never writes a block twice.
 */
public final class FileLedger implements Ledger {
  private static final System.Logger LOG = System.getLogger(FileLedger.class.getName());
  public static final String FILE = "ledger.bin";

  private final Path file;
  private final Ed25519 signer;
  private final Clock clock;
  private final FileChannel channel;
  private final List<Block> blocks;
  private byte[] lastHash;

  /** What {@link #appendSigned} did with a block. */
  public enum Outcome {
    /** Stored as the new last block. */
    APPENDED,
    /** The ledger already held exactly this block at its index; nothing was written. */
    ALREADY_HELD
  }

  private FileLedger(Path file, Ed25519 signer, Clock clock, FileChannel channel, List<Block> blocks) {
    this.file = file;
    this.signer = signer;
    this.clock = clock;
    this.channel = channel;
    this.blocks = blocks;
    this.lastHash = blocks.isEmpty() ? Block.genesisParent() : blocks.get(blocks.size() - 1).hash();
  }

  /**
   * Opens (creating if needed) the ledger in {@code dir}, signing new blocks with {@code signer} and
   * stamping them with {@code clock}. Refuses a ledger whose blocks another key signed.
   */
  public static FileLedger open(Path dir, Ed25519 signer, Clock clock) {
    return openAt(dir, Objects.requireNonNull(signer, "signer"), Objects.requireNonNull(clock, "clock"));
  }

  /**
   * Opens (creating if needed) a replica in {@code dir}: it stores blocks signed elsewhere ({@link
   * #appendSigned}) and cannot {@link #append} entries itself. Every block must carry block 0's signer key.
   */
  public static FileLedger openReplica(Path dir) {
    return openAt(dir, null, null);
  }

  private static FileLedger openAt(Path dir, Ed25519 signer, Clock clock) {
    Path file = dir.resolve(FILE);
    try {
      Files.createDirectories(dir);
      if (!Files.exists(file)) {
        Path tmp = dir.resolve(FILE + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
            StandardOpenOption.WRITE)) {
          ch.write(ByteBuffer.wrap(LedgerFile.HEADER));
          ch.force(true);
        }
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory(dir);
      }
      LedgerFile.Scan scan = LedgerFile.scan(file);
      if (!scan.headerOk()) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, file + ": " + scan.tail());
      }
      List<Block> blocks = new ArrayList<>();
      byte[] prev = Block.genesisParent();
      for (LedgerFile.Record r : scan.records()) {
        String where = file + ": block " + blocks.size() + " at byte " + r.offset();
        if (!r.crcOk()) {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, where + ": CRC mismatch; the ledger is damaged"
              + " (starling ledger verify names the block and field)");
        }
        Block b;
        try {
          b = BlockCodec.decode(r.payload());
        } catch (LedgerFormatException e) {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, where + ": " + e.getMessage());
        }
        if (b.index() != blocks.size() || !Arrays.equals(b.previousHash(), prev)) {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, where + ": breaks the chain (index "
              + b.index() + "); the ledger is damaged");
        }
        byte[] expected = signer != null ? signer.publicKey() : blocks.isEmpty() ? b.signerKey() : blocks.get(0).signerKey();
        if (!Arrays.equals(b.signerKey(), expected)) {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, where + ": signed by another aggregator key"
              + " than the one given; refusing to extend it");
        }
        prev = b.hash();
        blocks.add(b);
      }
      FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE, StandardOpenOption.READ);
      if (scan.goodEnd() < scan.fileSize()) {
        LOG.log(Level.WARNING, "{0}: {1}; cutting the unacknowledged tail ({2} bytes) left by a crash",
            file, scan.tail(), scan.fileSize() - scan.goodEnd());
        ch.truncate(scan.goodEnd());
        ch.force(true);
      }
      ch.position(scan.goodEnd());
      return new FileLedger(file, signer, clock, ch, blocks);
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "cannot open the ledger " + file + ": " + e.getMessage(), e);
    }
  }

  @Override
  public Block append(RoundEntry entry) {
    if (signer == null) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, file + " is a replica: it stores blocks the aggregator signed"
          + " (appendSigned) and signs none itself");
    }
    long index = blocks.size();
    long time = clock.millis();
    byte[] key = signer.publicKey();
    byte[] sig = signer.sign(BlockCodec.signedBytes(index, lastHash, time, entry, key));
    Block b = new Block(index, lastHash, time, entry, key, sig);
    write(b);
    return b;
  }

  /**
   * Stores {@code b}, a block signed elsewhere, after checking it extends this chain: its index is the
   * next one, it chains to the last block, block 0's key signed it and the signature holds. A block
   * this ledger already holds byte for byte at its index is {@link Outcome#ALREADY_HELD} (a retry or a
   * replayed log entry). Anything else is refused with {@link ErrorCode#FAILED_PRECONDITION} naming the
   * block and what is wrong, and nothing is written.
   */
  public Outcome appendSigned(Block b) {
    long index = b.index();
    if (index < blocks.size()) {
      if (blocks.get((int) index).equals(b)) {
        return Outcome.ALREADY_HELD;
      }
      throw new FlException(ErrorCode.FAILED_PRECONDITION, file + ": block " + index + " is already held with"
          + " other content (hash " + Digests.hex(blocks.get((int) index).hash()).substring(0, 16) + "); refusing a second"
          + " block " + index + " (hash " + Digests.hex(b.hash()).substring(0, 16) + ")");
    }
    if (index != blocks.size()) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, file + ": block " + index + " does not follow the last block ("
          + (blocks.size() - 1) + ")");
    }
    if (!Arrays.equals(b.previousHash(), lastHash)) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, file + ": block " + index + ", field previous_hash: does not"
          + " chain to block " + (index - 1));
    }
    byte[] expected = signer != null ? signer.publicKey() : blocks.isEmpty() ? b.signerKey() : blocks.get(0).signerKey();
    if (!Arrays.equals(b.signerKey(), expected)) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, file + ": block " + index + ", field signer_key: not the key"
          + " that signed this ledger's blocks");
    }
    if (!Ed25519.verify(b.signerKey(), BlockCodec.signedBytes(b), b.signature())) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, file + ": block " + index + ", field signature: the"
          + " aggregator's signature does not match the block's content");
    }
    write(b);
    return Outcome.APPENDED;
  }

  private void write(Block b) {
    long index = b.index();
    byte[] payload = BlockCodec.encode(b);
    try {
      long start = channel.position();
      ByteBuffer buf = LedgerFile.frame(payload);
      while (buf.hasRemaining()) {
        channel.write(buf);
      }
      channel.force(true);
      if (channel.position() != start + LedgerFile.FRAME + payload.length) {
        throw new IOException("short write");
      }
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "cannot append block " + index + " to " + file + ": " + e.getMessage(), e);
    }
    blocks.add(b);
    lastHash = b.hash();
  }

  @Override
  public List<Block> blocks() {
    return List.copyOf(blocks);
  }

  @Override
  public Optional<Block> last() {
    return blocks.isEmpty() ? Optional.empty() : Optional.of(blocks.get(blocks.size() - 1));
  }

  public Path file() {
    return file;
  }

  @Override
  public void close() {
    try {
      channel.close();
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "cannot close " + file + ": " + e.getMessage(), e);
    }
  }

  private static void forceDirectory(Path dir) {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException e) {
      // some platforms cannot open a directory; the rename is still atomic
    }
  }
}
