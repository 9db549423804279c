package dev.starling.server;

import dev.starling.core.error.Checks;
import dev.starling.core.tensor.ParameterSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Everything a server needs to resume a run after round {@code round}: what a {@link CheckpointStore}
 * stores.
 *
 * @param round the last completed round
 * @param global the global model after that round
 * @param strategyState the strategy's {@link dev.starling.strategy.Strategy#saveState()} snapshot
 * @param history the records of rounds 1..round
 * @param clients the client registry: ids of every client that ever joined
 * @param metadata free-form facts about the run (model id, strategy, seed) for checks on resume
 */
public record RunState(int round, ParameterSet global, ParameterSet strategyState, List<RoundRecord> history,
    List<String> clients, Map<String, String> metadata) {
  public RunState {
    Checks.checkNonNegative(round, "round");
    Objects.requireNonNull(global, "global");
    Objects.requireNonNull(strategyState, "strategyState");
    history = List.copyOf(history);
    clients = List.copyOf(clients);
    metadata = Map.copyOf(metadata);
  }
}
