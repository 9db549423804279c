package dev.starling.learners.submodel;

import dev.starling.core.learner.ClientState;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.ModelSpec;
import java.util.Objects;
import java.util.Optional;

/**
 * The sub-model hook of a {@link LearnerFactory}: whether its models can train a unit-dropped sub-model (Federated
 * Dropout, FisherDropout) under a {@link SubModelConfig}, and the {@link DroppableModel} that does. A factory opts in by
 * implementing this interface beside {@link LearnerFactory} (the DJL CNN does; found through
 * {@link LearnerFactory#capability}, so also behind the name {@code Learners.parse} gives it); the built-in {@link ModelSpec} is
 * adapted here ({@link #of}), so this package, not {@code ModelSpec}, knows about sub-models. The simulation, the
 * networked client and the run assembler ask {@link #refusal} before round 1 and build learners with {@link #learner}.
 */
public interface SubModelCapable {
  /**
   * Why this factory's models cannot train sub-models under {@code config} (the model has no droppable units, or
   * the policy or local DP is not supported for it), or empty when they can.
   */
  Optional<String> subModelRefusal(SubModelConfig config);

  /** The full model on {@code data} (described by {@code ctx}, as for {@link LearnerFactory#create}) as a sub-model source. */
  DroppableModel droppable(LearnerContext ctx, Dataset data);

  /** The sub-model hook of {@code factory}: its own, the built-in MLP's, or empty for a factory without one. */
  static Optional<SubModelCapable> of(LearnerFactory factory) {
    Objects.requireNonNull(factory, "factory");
    if (factory instanceof ModelSpec spec) {
      return Optional.of(new MlpDroppable.Capability(spec));
    }
    return factory.capability(SubModelCapable.class);
  }

  /** Why {@code factory} cannot train sub-models under {@code config}, or empty when it can. */
  static Optional<String> refusal(LearnerFactory factory, SubModelConfig config) {
    Objects.requireNonNull(config, "config");
    return of(factory).map(c -> c.subModelRefusal(config)).orElseGet(() -> Optional.of("model " + factory.id()
        + " cannot train sub-models: they drop hidden units of a built-in mlp:H1,... model or of djl:cnn's dense layer,"
        + " and this model's learner factory does not implement SubModelCapable"));
  }

  /**
   * A {@link SubModelLearner} of {@code factory}'s model for client {@code client} (its number in the run, which
   * seeds its capacity and random units) starting from {@code initial}, keeping its choice in {@code state}.
   *
   * @throws IllegalArgumentException with the reason if {@link #refusal} is not empty
   */
  static SubModelLearner learner(LearnerFactory factory, LearnerContext ctx, Dataset data, ParameterSet initial,
      SubModelConfig config, int client, ClientState state) {
    refusal(factory, config).ifPresent(why -> {
      throw new IllegalArgumentException(why);
    });
    return new SubModelLearner(of(factory).orElseThrow().droppable(ctx, data), initial, config, client, state);
  }
}
