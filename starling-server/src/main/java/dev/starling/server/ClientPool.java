package dev.starling.server;

import java.util.List;

/** The clients currently connected and available for a round. Thread-safe. */
@FunctionalInterface
public interface ClientPool {
  /** A snapshot of the available clients, in any order (the round loop sorts by id). */
  List<ClientProxy> available();

  /** A fixed pool. */
  static ClientPool of(List<? extends ClientProxy> clients) {
    List<ClientProxy> copy = List.copyOf(clients);
    return () -> copy;
  }
}
