package dev.starling.server;

import java.util.List;

/** The clients currently connected and available for a round. Thread-safe. */
@FunctionalInterface
public interface ClientPool {
  /** A snapshot of the available clients, in any order (the round loop sorts by id). */
  List<ClientProxy> available();

  /**
   * True if {@link #available()} always lists the clients in ascending id order, so the round loop
   * need not sort them (which costs two id lookups per client per round: noticeable with a million
   * virtual clients that make their ids on demand). False by default.
   */
  default boolean sortedById() {
    return false;
  }

  /**
   * How many received updates the pool's transport can hold at once before the round loop folds them (a
   * gRPC server's upload slots: an update keeps its slot until it is folded). {@link FoldOrder#SELECTION}
   * holds a whole round's updates, so the round loop refuses that order for rounds larger than this.
   * Unbounded by default.
   */
  default int maxHeldUpdates() {
    return Integer.MAX_VALUE;
  }

  /** A fixed pool. */
  static ClientPool of(List<? extends ClientProxy> clients) {
    List<ClientProxy> copy = List.copyOf(clients);
    return () -> copy;
  }
}
