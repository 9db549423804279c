package dev.starling.server;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * What an asynchronous run ({@code dev.starling.server.sync.AsyncDriver}) keeps beside a synchronous run's
 * {@link RunState}: the optional section of checkpoint format version 4. Taken after an aggregation; jobs in
 * flight then are not part of it (a resumed run treats them as lost and their clients as idle again).
 *
 * @param modelVersion the global model's version (successful aggregations so far)
 * @param clockSeconds the environment's clock at the checkpoint ({@code sim_seconds} on the virtual clock;
 *     {@code clock_seconds} over the network)
 * @param jobs jobs dispatched so far (every job's training seed derives from its number)
 * @param nextEval the clock time from which the next server-side evaluation is due
 * @param buffer received updates not applied yet, in arrival order
 * @param models the models the buffer's updates were trained from, by version (the versions still referenced)
 */
public record AsyncState(int modelVersion, double clockSeconds, long jobs, double nextEval, List<Buffered> buffer,
    Map<Integer, ParameterSet> models) {
  public AsyncState {
    if (modelVersion < 0 || jobs < 0) {
      throw new IllegalArgumentException("model version and jobs must be >= 0. Provided values: " + modelVersion
          + ", " + jobs);
    }
    buffer = List.copyOf(buffer);
    models = Collections.unmodifiableMap(new TreeMap<>(models));
    for (Buffered b : buffer) {
      if (b.startVersion() > modelVersion) {
        throw new IllegalArgumentException("buffered update of " + b.client() + " starts at model version "
            + b.startVersion() + ", after the current version " + modelVersion);
      }
      if (b.startVersion() != modelVersion && !models.containsKey(b.startVersion())) {
        throw new IllegalArgumentException("buffered update of " + b.client() + " starts at model version "
            + b.startVersion() + ", whose model is not kept");
      }
    }
  }

  /** Staleness of {@code b} now: versions since it was trained from. */
  public int staleness(Buffered b) {
    return modelVersion - b.startVersion();
  }

  /**
   * One received update: the client's trained model and what it reported (attachments are not kept).
   *
   * @param client the client id
   * @param startVersion the model version it trained from
   */
  public record Buffered(String client, int startVersion, long numExamples, long localSteps, Metrics metrics,
      ParameterSet parameters) {
    public Buffered {
      Objects.requireNonNull(client, "client");
      Objects.requireNonNull(metrics, "metrics");
      Objects.requireNonNull(parameters, "parameters");
      if (startVersion < 0) {
        throw new IllegalArgumentException("start version must be >= 0. Provided value: " + startVersion);
      }
    }
  }
}
