package dev.starling.ledger.ratis;

import dev.starling.core.error.FlException;
import dev.starling.ledger.Block;
import dev.starling.ledger.BlockCodec;
import dev.starling.ledger.FileLedger;
import dev.starling.ledger.LedgerFormatException;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;

/**
 * The replicated state of a ledger node: the aggregator's chain in the node's own {@link FileLedger}
 * replica ({@code DIR/ledger.bin}, readable by {@code starling ledger verify DIR}). Every committed log
 * entry is one block; applying it is idempotent by index and content, because Ratis replays the log
 * from its start after a restart (no snapshots are taken: the ledger file is the state, and blocks are
 * small) and a client may send the same block again after a timeout. So a block is written once
 * however often it is applied; a different block at an index already held, a gap, a broken chain or
 * a bad signature is refused, by every node alike, and the sender is told why.
 */
final class LedgerStateMachine extends BaseStateMachine {
  private static final System.Logger LOG = System.getLogger(LedgerStateMachine.class.getName());

  private final Path dir;
  private FileLedger ledger;

  LedgerStateMachine(Path dir) {
    this.dir = dir;
  }

  @Override
  public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
    super.initialize(server, groupId, storage);
    synchronized (this) {
      ledger = FileLedger.openReplica(dir);
    }
  }

  @Override
  public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
    LogEntryProto entry = trx.getLogEntry();
    byte[] payload = entry.getStateMachineLogEntry().getLogData().toByteArray();
    Message reply;
    synchronized (this) {
      reply = apply(payload, entry.getIndex());
      updateLastAppliedTermIndex(entry.getTerm(), entry.getIndex());
    }
    return CompletableFuture.completedFuture(reply);
  }

  private Message apply(byte[] payload, long logIndex) {
    Block b;
    try {
      b = BlockCodec.decode(payload);
    } catch (LedgerFormatException e) {
      return Wire.reply(Wire.Status.REFUSED, "log entry " + logIndex + " is not a ledger block: " + e.getMessage());
    }
    try {
      FileLedger.Outcome o = ledger.appendSigned(b);
      return Wire.reply(o == FileLedger.Outcome.APPENDED ? Wire.Status.APPENDED : Wire.Status.ALREADY_HELD,
          "block " + b.index());
    } catch (FlException e) {
      LOG.log(Level.WARNING, "ledger node {0}: refused log entry {1}: {2}", getId(), logIndex, e.getMessage());
      return Wire.reply(Wire.Status.REFUSED, e.getMessage());
    }
  }

  @Override
  public CompletableFuture<Message> query(Message request) {
    long from;
    try {
      from = Wire.readQuery(request.getContent());
    } catch (IllegalArgumentException e) {
      return CompletableFuture.failedFuture(e);
    }
    return CompletableFuture.completedFuture(Wire.blocks(encoded(from)));
  }

  /** The blocks this node holds, from index {@code from}, as canonical bytes. */
  synchronized List<byte[]> encoded(long from) {
    List<byte[]> out = new ArrayList<>();
    List<Block> all = ledger.blocks();
    for (int i = (int) Math.max(0, Math.min(from, all.size())); i < all.size(); i++) {
      out.add(BlockCodec.encode(all.get(i)));
    }
    return out;
  }

  synchronized List<Block> blocks() {
    return ledger.blocks();
  }

  @Override
  public void close() throws IOException {
    synchronized (this) {
      if (ledger != null) {
        ledger.close();
        ledger = null;
      }
    }
    super.close();
  }
}
