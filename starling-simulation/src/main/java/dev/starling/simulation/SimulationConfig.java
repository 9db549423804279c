package dev.starling.simulation;

import dev.starling.core.error.Checks;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.submodel.SubModelCapable;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.clock.ClientClock;
import dev.starling.simulation.partition.Partitioner;
import java.util.Objects;

/**
 * How to set up a simulation: which model, how data is split, how many clients, fault injection.
 *
 * @param model the learners every client trains and the server evaluates with: a {@link ModelSpec} or any
 *     {@link LearnerFactory} (sub-models need a factory with a
 *     {@link SubModelCapable} hook: a built-in {@code mlp:} spec with a hidden layer, or {@code djl:cnn})
 * @param partitioner how the training set is split among clients
 * @param numClients number of virtual clients (ignored by natural partitions, which make one per key)
 * @param dropout probability that a selected client drops out of a round, in [0, 1)
 * @param threads worker threads for local training (clients run in parallel across them)
 * @param standardize z-score standardisation with statistics agreed by the clients (their row counts, sums and
 *     sums of squares summed), applied to every client, the test set and the saved model; off for data already on
 *     a fixed scale
 * @param seed seed of partitioning, initialisation, selection, shuffling and drop-outs
 * @param adversity malicious clients and stragglers
 * @param communication codecs on the uplink and downlink
 * @param subModels how clients train sub-models, or null for full models
 * @param clock how the clients' compute speed and links are drawn for the virtual clock
 */
public record SimulationConfig(LearnerFactory model, Partitioner partitioner, int numClients, double dropout,
    int threads, boolean standardize, long seed, Adversity adversity, Communication communication,
    SubModelConfig subModels, ClientClock clock) {
  public SimulationConfig {
    Objects.requireNonNull(clock, "clock");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(partitioner, "partitioner");
    Checks.checkPositive(numClients, "numClients");
    Checks.checkArgument(dropout >= 0 && dropout < 1, "dropout", "in [0, 1)", dropout);
    Checks.checkPositive(threads, "threads");
    Objects.requireNonNull(adversity, "adversity");
    Objects.requireNonNull(communication, "communication");
    if (subModels != null) {
      SubModelCapable.refusal(model, subModels).ifPresent(why -> {
        throw new IllegalArgumentException("sub-models: " + why);
      });
    }
  }

  /** A configuration on the default virtual clock ({@link ClientClock#defaults()}). */
  public SimulationConfig(LearnerFactory model, Partitioner partitioner, int numClients, double dropout, int threads,
      boolean standardize, long seed, Adversity adversity, Communication communication, SubModelConfig subModels) {
    this(model, partitioner, numClients, dropout, threads, standardize, seed, adversity, communication, subModels,
        ClientClock.defaults());
  }

  /** A configuration with uncompressed communication and full models. */
  public SimulationConfig(LearnerFactory model, Partitioner partitioner, int numClients, double dropout, int threads,
      boolean standardize, long seed, Adversity adversity) {
    this(model, partitioner, numClients, dropout, threads, standardize, seed, adversity, Communication.none(), null);
  }

  /** A configuration with honest, reliable clients. */
  public SimulationConfig(LearnerFactory model, Partitioner partitioner, int numClients, double dropout, int threads,
      boolean standardize, long seed) {
    this(model, partitioner, numClients, dropout, threads, standardize, seed, Adversity.none());
  }
}
