package dev.starling.run;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.ClientState;
import dev.starling.core.learner.LocalLearner;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainInterceptor;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.submodel.NeuronPolicy;
import dev.starling.learners.submodel.SubModelCapable;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.learners.submodel.SubModelLearner;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.wire.SubModelTerms;
import java.util.List;
import java.util.Objects;
import java.util.function.Function;

/**
 * The networked client's local work from a {@link LearnerFactory}: each task trains a fresh learner on the
 * client's data inside the client half of the server's strategy (SCAFFOLD's control variates) and the local DP the
 * server requires ({@link RunAssembler#clientInterceptors}); when the Welcome asks for sub-models, a
 * {@link SubModelLearner} of the model's {@link SubModelCapable} hook (the built-in MLP, the DJL CNN) with the
 * Welcome's settings, as simulated clients do. The client's state
 * (e.g. control variates, a sub-model client's neuron choice and DP releases) lives as long as the session's trainer.
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
        return trainer(factory, LearnerContext.of(factory.id(), local, seed), fitData, evalData, chain, null, 0);
      }

      @Override
      public Trainer create(Trainer.Terms terms) {
        if (terms.subModels().isEmpty()) {
          return create(terms.model(), terms.strategy(), terms.clientDp(), terms.seededNoise());
        }
        List<TrainInterceptor> chain = RunAssembler.clientInterceptors(terms.strategy(), terms.clientDp(),
            terms.seededNoise());
        LearnerFactory factory = InvalidRunException.wrap("model", () -> models.apply(terms.model()));
        SubModelConfig config = subModelConfig(terms.subModels().get());
        SubModelCapable.refusal(factory, config).ifPresent(why -> {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server trains sub-models, but this client's model"
              + " for '" + terms.model() + "' cannot: " + why);
        });
        return trainer(factory, LearnerContext.of(factory.id(), local, seed), fitData, evalData, chain, config,
            subModelIndex(terms.clientId()));
      }
    };
  }

  /** The learners' configuration from the Welcome's terms; a policy this build does not know refuses the run. */
  static SubModelConfig subModelConfig(SubModelTerms t) {
    try {
      return new SubModelConfig(NeuronPolicy.parse(t.policy()), t.keepMin(), t.keepMax(), t.fullModelEvery(),
          t.dpClip(), t.dpNoise(), t.dpDelta(), t.seed(), t.dpSeededNoise());
    } catch (IllegalArgumentException e) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server's sub-model settings are not supported by this"
          + " client: " + e.getMessage());
    }
  }

  /**
   * The client number a networked sub-model client draws its capacity and random neurons with, as simulated
   * client {@code i} does with {@code i}: a client named like a simulated one ({@code c000003},
   * {@link dev.starling.core.message.ClientId#ofIndex}) uses that index, so a networked run reproduces the
   * simulation; any other id uses its string hash (non-negative), which is just as fixed per client.
   */
  static int subModelIndex(String clientId) {
    if (clientId.length() >= 7 && clientId.charAt(0) == 'c' && clientId.chars().skip(1).allMatch(Character::isDigit)
        && clientId.length() <= 10) {
      return Integer.parseInt(clientId.substring(1));
    }
    return clientId.hashCode() & Integer.MAX_VALUE;
  }

  /** A trainer; with {@code subModels} (null: full model) it trains a {@link SubModelLearner} as client {@code index}. */
  private static Trainer trainer(LearnerFactory factory, LearnerContext ctx, Function<TrainConfig, Dataset> fitData,
      java.util.function.Supplier<Dataset> evalData, List<TrainInterceptor> chain, SubModelConfig subModels, int index) {
    ClientState state = new ClientState();
    return new Trainer() {
      @Override
      public TrainResult fit(ParameterSet global, TrainConfig config) {
        return TrainInterceptor.run(chain, global, config, state, (g, c) -> {
          Dataset data = fitData.apply(c);
          LocalLearner learner = subModels == null ? factory.create(ctx, data)
              : SubModelCapable.learner(factory, ctx, data, g, subModels, index, state);
          return learner.fit(g, c);
        });
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
