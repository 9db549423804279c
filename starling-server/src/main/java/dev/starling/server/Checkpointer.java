package dev.starling.server;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.strategy.Strategy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * A {@link RoundListener} that writes a checkpoint after every completed round: the global model, the
 * round number, the strategy's state, the metrics history, the client registry and, where clients live in
 * this process, their state. Runs on the round
 * loop's thread between rounds, so the snapshot is consistent. Pass the outermost strategy the loop
 * runs (decorators forward {@link Strategy#saveState()}).
 */
public final class Checkpointer implements RoundListener {
  private final CheckpointStore store;
  private final Strategy strategy;
  private final Supplier<? extends Collection<String>> clients;
  private final Map<String, String> metadata;
  private final Supplier<Map<String, ParameterSet>> clientStates;
  private final Supplier<Optional<AsyncState>> async;

  /** A checkpointer for a server whose clients keep their own state (a networked server). */
  public Checkpointer(CheckpointStore store, Strategy strategy, Supplier<? extends Collection<String>> clients,
      Map<String, String> metadata) {
    this(store, strategy, clients, metadata, Map::of);
  }

  /**
   * A checkpointer that also stores the state of clients held in this process ({@link RunState#clientStates()}),
   * as a simulation's virtual clients are.
   */
  public Checkpointer(CheckpointStore store, Strategy strategy, Supplier<? extends Collection<String>> clients,
      Map<String, String> metadata, Supplier<Map<String, ParameterSet>> clientStates) {
    this(store, strategy, clients, metadata, clientStates, Optional::empty);
  }

  /**
   * A checkpointer of an asynchronous run, which also stores the driver's {@link AsyncState} (model version,
   * clock, update buffer) as {@code async} returns it when a round (an aggregation) is committed.
   */
  public Checkpointer(CheckpointStore store, Strategy strategy, Supplier<? extends Collection<String>> clients,
      Map<String, String> metadata, Supplier<Map<String, ParameterSet>> clientStates,
      Supplier<Optional<AsyncState>> async) {
    this.async = Objects.requireNonNull(async, "async");
    this.store = Objects.requireNonNull(store, "store");
    this.strategy = Objects.requireNonNull(strategy, "strategy");
    this.clients = Objects.requireNonNull(clients, "clients");
    this.metadata = Map.copyOf(metadata);
    this.clientStates = Objects.requireNonNull(clientStates, "clientStates");
  }

  @Override
  public void onRoundCommitted(int round, ParameterSet global, History history) {
    List<String> ids = new ArrayList<>(clients.get());
    store.write(new RunState(round, global, strategy.saveState(), history.rounds(), ids, metadata, clientStates.get(),
        async.get()));
  }
}
