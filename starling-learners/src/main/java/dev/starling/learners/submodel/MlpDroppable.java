package dev.starling.learners.submodel;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.Evaluation;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.SgdLearner;
import java.util.Objects;
import java.util.Optional;

/** The built-in MLP as a {@link DroppableModel}: its hidden layers' neurons ({@link NeuronMask}), trained by {@link SgdLearner}. */
final class MlpDroppable implements DroppableModel {
  private final ModelSpec spec;
  private final Dataset data;
  private final int[] sizes;

  MlpDroppable(ModelSpec spec, Dataset data) {
    this.spec = Objects.requireNonNull(spec, "spec");
    this.data = Objects.requireNonNull(data, "data");
    this.sizes = spec.layerSizes(data.numFeatures(), data.numClasses());
  }

  ModelSpec spec() {
    return spec;
  }

  @Override
  public int[] widths() {
    int[] w = new int[sizes.length - 2];
    System.arraycopy(sizes, 1, w, 0, w.length);
    return w;
  }

  @Override
  public UnitSubModel subModel(boolean[][] keep) {
    return new Sub(mask(keep));
  }

  NeuronMask mask(boolean[][] keep) {
    return new NeuronMask(spec, sizes, keep);
  }

  @Override
  public double[][] fisherScores(ParameterSet global, int rows, RandomSource rng) {
    return FisherScores.compute(spec, global, data, rows, rng);
  }

  @Override
  public EvalResult evaluate(ParameterSet global) {
    return Evaluation.evaluate(spec, global, data);
  }

  /** A {@link NeuronMask}'s sub-model ({@code mlp} of the kept widths), trained with {@link SgdLearner}. */
  private final class Sub implements UnitSubModel {
    private final NeuronMask mask;

    Sub(NeuronMask mask) {
      this.mask = mask;
    }

    @Override
    public ParameterSet extract(ParameterSet full) {
      return mask.extract(full);
    }

    @Override
    public ParameterSet scatter(ParameterSet sub, ParameterSet base) {
      return mask.scatter(sub, base);
    }

    @Override
    public TrainResult fit(ParameterSet subGlobal, TrainConfig config) {
      return new SgdLearner(mask.subSpec(), data, subGlobal).fit(subGlobal, config);
    }

    @Override
    public long keptParameters() {
      return mask.keptParameters();
    }

    @Override
    public long positionBytes() {
      return mask.positionBytes();
    }

    @Override
    public ParameterSet parameterMask(ParameterSet like) {
      return mask.parameterMask(like);
    }
  }

  /** The built-in MLP's {@link SubModelCapable}: any {@code mlp:} with a hidden layer, every policy, local DP. */
  record Capability(ModelSpec spec) implements SubModelCapable {
    @Override
    public Optional<String> subModelRefusal(SubModelConfig config) {
      return spec.numLayers() > 1 ? Optional.empty()
          : Optional.of("drops hidden neurons of a built-in mlp:H1,... model; model " + spec + " has none");
    }

    @Override
    public DroppableModel droppable(LearnerContext ctx, Dataset data) {
      return new MlpDroppable(spec, data);
    }
  }
}
