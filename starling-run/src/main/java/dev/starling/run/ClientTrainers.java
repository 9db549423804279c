package dev.starling.run;

import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.transport.grpc.client.Trainer;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The networked client's local work from a {@link LearnerFactory}: each task trains a fresh learner on the
 * client's data inside the client half of the server's strategy (SCAFFOLD's control variates) and the local DP the
 * server requires ({@link RunAssembler#clientInterceptors}). The client's state (e.g. control variates) lives as long
 * as the session's trainer.
 */
public final class ClientTrainers {
  private ClientTrainers() {}

  /**
   * Trainers for the model the server names in its Welcome, resolved by {@code models} (e.g.
   * {@link dev.starling.learners.Learners#parse}, or {@code name -> myFactory} to train one learner whatever the
   * server says), on {@code local} with {@code seed} as the learners' {@link LearnerContext#seed()}. A model or
   * strategy this client does not know fails the session with the parser's message.
   */
  public static Trainer.Factory of(Function<String, LearnerFactory> models, Dataset local, long seed) {
    Objects.requireNonNull(local, "local");
    return of(models, c -> local, () -> local, local, seed);
  }

  /**
   * As {@link #of(Function, Dataset, long)}, with the rows a training job sees chosen per task ({@code fitData},
   * e.g. standardised with statistics the task carries) and those evaluation sees ({@code evalData}); {@code shape}
   * describes the client's data for the {@link LearnerContext}.
   */
  public static Trainer.Factory of(Function<String, LearnerFactory> models, Function<TrainConfig, Dataset> fitData,
      java.util.function.Supplier<Dataset> evalData, Dataset shape, long seed) {
    Objects.requireNonNull(models, "models");
    Objects.requireNonNull(fitData, "fitData");
    Objects.requireNonNull(evalData, "evalData");
    Dataset local = shape;
    return new Trainer.Factory() {
      @Override
      public Trainer create(String model, String strategy) {
        return create(model, strategy, "", false);
      }

      @Override
      public Trainer create(String model, String strategy, String clientDp, boolean seededNoise) {
        List<TrainInterceptor> chain = RunAssembler.clientInterceptors(strategy, clientDp, seededNoise);
        LearnerFactory factory = InvalidRunException.wrap("model", () -> models.apply(model));
        return trainer(factory, LearnerContext.of(factory.id(), local, seed), fitData, evalData, chain);
      }
    };
  }

  private static Trainer trainer(LearnerFactory factory, LearnerContext ctx, Function<TrainConfig, Dataset> fitData,
      java.util.function.Supplier<Dataset> evalData, List<TrainInterceptor> chain) {
    ClientState state = new ClientState();
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        return TrainInterceptor.run(chain, global, config, state, (g, c) -> factory.create(ctx, fitData.apply(c)).fit(g, c));
      }

      @Override
      public EvalResult evaluate(ParameterSet global) {
        return factory.create(ctx, evalData.get()).evaluate(global);
      }

      /** The client's own state (SCAFFOLD's control variate, error-feedback residuals), for a state file. */
      @Override
      public ParameterSet saveState() {
        return state.snapshot();
      }

      @Override
      public void restoreState(ParameterSet saved) {
        state.restore(saved);
      }
    };
  }
}
