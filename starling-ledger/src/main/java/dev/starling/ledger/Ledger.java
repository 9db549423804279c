package dev.starling.ledger;

import java.util.List;
import java.util.Optional;

/** An append-only chain of signed blocks, one per aggregation. */
public interface Ledger extends AutoCloseable {
  /**
   * Chains {@code entry} to the last block, signs it and stores it durably; returns once the block is
   * committed (on disk, or on a quorum of replicas).
   */
  Block append(RoundEntry entry);

  /** Every block, in order. */
  List<Block> blocks();

  /** The last block, or empty for an empty ledger. */
  Optional<Block> last();

  @Override
  void close();
}
