package dev.starling.learners.submodel;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.util.Arrays;

/**
 * One sub-model of a {@link DroppableModel}: a smaller model of the same kind keeping chosen units, and the map
 * between its parameters and the full model's. Every coordinate of the sub-model is one coordinate of the full model;
 * {@link #extract} gathers them, {@link #scatter} writes them back.
 */
public interface UnitSubModel {
  /** The kept parameters of {@code full}, shaped as the sub-model. */
  ParameterSet extract(ParameterSet full);

  /** {@code base} with the kept positions replaced by the sub-model's {@code sub} (a new set). */
  ParameterSet scatter(ParameterSet sub, ParameterSet base);

  /** Trains the sub-model from {@code subGlobal} (parameters shaped as the sub-model) on the client's data. */
  TrainResult fit(ParameterSet subGlobal, TrainConfig config);

  /** Number of kept (trained and sent) parameters. */
  long keptParameters();

  /** Bytes to name the kept units on the wire. */
  long positionBytes();

  /**
   * 1 at every trained position, 0 elsewhere, shaped like {@code like} (the full model): the
   * {@link dev.starling.core.message.AttachmentKey#TRAINED_MASK}. Default: the scatter of an extracted all-ones set.
   */
  default ParameterSet parameterMask(ParameterSet like) {
    ParameterSet ones = like.zerosLike();
    for (Tensor t : ones) {
      Arrays.fill(t.data(), 1f);
    }
    return scatter(extract(ones), like.zerosLike());
  }
}
