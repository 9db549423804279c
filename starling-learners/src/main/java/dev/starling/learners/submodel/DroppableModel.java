package dev.starling.learners.submodel;

import dev.starling.core.learner.EvalResult;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;

/**
 * The model-specific half of a sub-model client ({@link SubModelLearner}): a full model on one client's data whose
 * units of some layers a sub-model may drop (the built-in MLP's hidden layers; the DJL CNN's dense layer). The
 * learner owns what is common to every such model (which units, drawn by the {@link NeuronPolicy} and seeded by
 * (seed, round, client); local DP on the kept coordinates; bookkeeping and metrics); this half says how wide the
 * droppable layers are, builds the smaller model keeping given units and trains it. Made by
 * {@link SubModelCapable#droppable}; need not be thread-safe.
 */
public interface DroppableModel {
  /** Widths of the droppable layers, in a fixed order (the keep arrays of {@link #subModel} follow it). */
  int[] widths();

  /**
   * The sub-model keeping unit {@code u} of droppable layer {@code l} where {@code keep[l][u]}; every layer keeps at
   * least one unit.
   */
  UnitSubModel subModel(boolean[][] keep);

  /**
   * FisherDropout's per-unit scores ({@link FisherScores}) of every droppable layer under {@code global} on the
   * client's data, from at most {@code rows} examples drawn with {@code rng}.
   *
   * @throws UnsupportedOperationException if this model cannot compute them (its factory then refuses the policy in
   *     {@link SubModelCapable#subModelRefusal})
   */
  double[][] fisherScores(ParameterSet global, int rows, RandomSource rng);

  /** The full model's metrics on the client's data. */
  EvalResult evaluate(ParameterSet global);
}
