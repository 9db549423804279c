package dev.starling.transport.grpc.client;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.EventTrigger;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.transport.grpc.wire.SubModelTerms;
import java.util.Objects;
import java.util.Optional;
import dev.starling.core.tensor.Tensor;
import java.util.ArrayList;
import java.util.List;

/** What a networked client does with a task: local training and evaluation on its own data. */
public interface Trainer {
  TrainResult fit(ParameterSet global, TrainConfig config);

  EvalResult evaluate(ParameterSet global);

  /**
   * What this trainer keeps between jobs on its own side ({@link dev.starling.core.learner.ClientState#snapshot()}:
   * SCAFFOLD's client control variate, an error-feedback residual), for a client that persists it across
   * restarts ({@link FederationClient#persistStateIn}). Default: none.
   */
  default ParameterSet saveState() {
    return ParameterSet.of();
  }

  /** Restores a {@link #saveState()} snapshot before the first job. Default: accepts only an empty one. */
  default void restoreState(ParameterSet state) {
    if (state.count() != 0) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "this client's trainer keeps no state, but the state file has "
          + state.names());
    }
  }

  /**
   * {@code inner} inside the client half of event-triggered synchronisation ({@link EventTrigger}, outermost: it
   * sees the result as it would leave the client): a job whose accumulated change since the last upload is below
   * {@code threshold} relative to the model's norm returns {@link EventTrigger#skip a skip}, which the client
   * sends as a skip reply. The accumulated change is part of {@link #saveState()} (tensors
   * {@code event.residual/NAME}), after the inner trainer's own state.
   */
  static Trainer eventTriggered(Trainer inner, double threshold) {
    EventTrigger trigger = new EventTrigger(threshold);
    ClientState state = new ClientState();
    String prefix = EventTrigger.RESIDUAL.name() + "/";
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        return trigger.fit(global, config, state, inner::fit);
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return inner.evaluate(global);
      }

      @Override
      public ParameterSet saveState() {
        List<Tensor> all = new ArrayList<>();
        inner.saveState().forEach(all::add);
        state.snapshot().forEach(all::add);
        return ParameterSet.of(all);
      }

      @Override
      public void restoreState(ParameterSet saved) {
        List<Tensor> own = new ArrayList<>();
        List<Tensor> rest = new ArrayList<>();
        for (Tensor t : saved) {
          (t.name().startsWith(prefix) ? own : rest).add(t);
        }
        inner.restoreState(ParameterSet.of(rest));
        state.restore(ParameterSet.of(own));
      }

      @Override
      public String toString() {
        return trigger + " around " + inner;
      }
    };
  }

  /** Builds the trainer once the server has said which model and strategy the run uses. */
  @FunctionalInterface
  interface Factory {
    Trainer create(String model, String strategy);

    /**
     * Builds the trainer for a run whose server also requires client-side privacy {@code clientDp} (e.g.
     * {@code local:1.0,0.8}; empty for none). The default can apply none: it refuses such a run with
     * FAILED_PRECONDITION rather than send updates the server expects to be private.
     */
    default Trainer create(String model, String strategy, String clientDp, boolean seededNoise) {
      if (!clientDp.isEmpty()) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server requires client-side privacy '" + clientDp
            + "', which this client's trainer cannot apply");
      }
      return create(model, strategy);
    }

    /**
     * Builds the trainer for what the server's Welcome says ({@link Terms}). The default applies no
     * sub-models: it refuses a run that trains them with FAILED_PRECONDITION, and otherwise calls
     * {@link #create(String, String, String, boolean)}.
     */
    default Trainer create(Terms terms) {
      if (terms.subModels().isPresent()) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server trains sub-models ("
            + terms.subModels().get().policy() + "), which this client's trainer cannot");
      }
      return create(terms.model(), terms.strategy(), terms.clientDp(), terms.seededNoise());
    }
  }

  /**
   * What the server's Welcome asks of a client's local work.
   *
   * @param model the model id, e.g. {@code mlp:32}
   * @param strategy the strategy spec, whose client half the trainer runs
   * @param clientDp the client-side privacy the server requires ({@code local:CLIP,SIGMA}, {@code dp-sgd:CLIP,Z}),
   *     empty for none
   * @param seededNoise derive that noise from each job's seed instead of SecureRandom
   * @param subModels how to train sub-models (protocol v1.4), empty for the full model
   * @param clientId this client's id (sub-models draw its capacity and random neurons from it)
   */
  record Terms(String model, String strategy, String clientDp, boolean seededNoise,
      Optional<SubModelTerms> subModels, String clientId) {
    public Terms {
      Objects.requireNonNull(model, "model");
      Objects.requireNonNull(strategy, "strategy");
      Objects.requireNonNull(clientDp, "clientDp");
      Objects.requireNonNull(subModels, "subModels");
      Objects.requireNonNull(clientId, "clientId");
    }
  }
}
