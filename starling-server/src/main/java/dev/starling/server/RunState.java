package dev.starling.server;

import dev.starling.core.error.Checks;
import dev.starling.core.tensor.ParameterSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

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
 * @param clientStates the state clients keep between rounds, by client id, where the server holds it
 *     (a simulation's virtual clients: SCAFFOLD's client control variates, error-feedback residuals,
 *     sub-model bookkeeping; see {@link dev.starling.core.learner.ClientState#snapshot()}); empty for a
 *     networked server, whose clients keep their own. Sorted by client id.
 * @param async an asynchronous run's model version, clock and update buffer (format version 4); empty for
 *     synchronous rounds and for checkpoints of older formats
 */
public record RunState(int round, ParameterSet global, ParameterSet strategyState, List<RoundRecord> history,
    List<String> clients, Map<String, String> metadata, Map<String, ParameterSet> clientStates,
    Optional<AsyncState> async) {
  public RunState {
    Objects.requireNonNull(async, "async");
    Checks.checkNonNegative(round, "round");
    Objects.requireNonNull(global, "global");
    Objects.requireNonNull(strategyState, "strategyState");
    history = List.copyOf(history);
    clients = List.copyOf(clients);
    metadata = Map.copyOf(metadata);
    clientStates = Collections.unmodifiableMap(new TreeMap<>(clientStates));
  }

  /** A synchronous run's state. */
  public RunState(int round, ParameterSet global, ParameterSet strategyState, List<RoundRecord> history,
      List<String> clients, Map<String, String> metadata, Map<String, ParameterSet> clientStates) {
    this(round, global, strategyState, history, clients, metadata, clientStates, Optional.empty());
  }

  /** A run state without client-held state (a networked server's). */
  public RunState(int round, ParameterSet global, ParameterSet strategyState, List<RoundRecord> history,
      List<String> clients, Map<String, String> metadata) {
    this(round, global, strategyState, history, clients, metadata, Map.of());
  }

  /**
   * Throws {@link dev.starling.core.error.FlException} ({@code FAILED_PRECONDITION}) if a key of
   * {@code expected} has another value in this checkpoint's metadata, naming every such key with both
   * values: a checkpoint of another run (model, seed, strategy, data) must not be resumed. Keys the
   * checkpoint lacks are not checked (older checkpoints record fewer).
   */
  public void checkMetadata(Map<String, String> expected, String source) {
    StringBuilder diff = new StringBuilder();
    for (Map.Entry<String, String> e : new TreeMap<>(expected).entrySet()) {
      String have = metadata.get(e.getKey());
      if (have != null && !have.equals(e.getValue())) {
        diff.append(diff.isEmpty() ? "" : "; ").append(e.getKey()).append(" is '").append(have)
            .append("' in the checkpoint but '").append(e.getValue()).append("' now");
      }
    }
    if (!diff.isEmpty()) {
      throw new dev.starling.core.error.FlException(dev.starling.core.error.ErrorCode.FAILED_PRECONDITION,
          "the checkpoint of round " + round + " in " + source + " belongs to another run: " + diff
              + ". Resume with the same settings, or use another checkpoint directory to start a new run");
    }
  }
}
