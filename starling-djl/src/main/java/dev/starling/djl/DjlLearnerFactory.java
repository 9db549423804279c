package dev.starling.djl;

import dev.starling.core.learner.LocalLearner;
import dev.starling.data.Dataset;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.submodel.DroppableModel;
import dev.starling.learners.submodel.SubModelCapable;
import dev.starling.learners.submodel.SubModelConfig;
import java.util.Objects;
import java.util.Optional;

/**
 * The {@link LearnerFactory} of one {@code djl:} model ({@link DjlLearnerProvider} makes it): a fresh
 * {@link DjlDatasets#learner} per call. Its {@link SubModelCapable} hook trains Federated Dropout and FisherDropout
 * sub-models of the CNN's dense layer ({@link CnnDroppable}), with or without local DP on the kept coordinates, and
 * refuses the other djl models with the reason. Immutable and thread-safe.
 */
final class DjlLearnerFactory implements LearnerFactory, SubModelCapable {
  private final DjlModel model;
  private final String spec;
  private final int threads;

  DjlLearnerFactory(DjlModel model, String spec, int threads) {
    this.model = Objects.requireNonNull(model, "model");
    this.spec = Objects.requireNonNull(spec, "spec");
    this.threads = threads;
  }

  @Override
  public LocalLearner create(LearnerContext ctx, Dataset data) {
    return DjlDatasets.learner(model, data, ctx.seed(), threads);
  }

  @Override
  public Optional<String> subModelRefusal(SubModelConfig config) {
    Objects.requireNonNull(config, "config");
    if (model instanceof CnnModel) {
      return Optional.empty();
    }
    return Optional.of(noUnits());
  }

  /** Why a djl model other than the CNN has no units a sub-model could drop. */
  private String noUnits() {
    return switch (model) {
      case LstmModel l -> spec + ": the hidden units of an LSTM are tied across its four gates and every time step;"
          + " not supported. Sub-models work with djl:cnn (its dense layer) and the built-in mlp:H1,...";
      case TransformerModel t -> spec + ": a transformer's width is shared by every residual connection, attention"
          + " head and layer norm, so it has no independent units to drop; not supported. Sub-models work with djl:cnn"
          + " (its dense layer) and the built-in mlp:H1,...";
      default -> spec + " does not drop units; sub-models work with djl:cnn (its dense layer) and the built-in"
          + " mlp:H1,... (use mlp:H1,... instead of djl:mlp for them)";
    };
  }

  @Override
  public DroppableModel droppable(LearnerContext ctx, Dataset data) {
    if (!(model instanceof CnnModel cnn)) {
      throw new IllegalArgumentException(noUnits());
    }
    return new CnnDroppable(cnn, data, threads);
  }

  @Override
  public String id() {
    return spec;
  }

  @Override
  public String toString() {
    return spec;
  }
}
