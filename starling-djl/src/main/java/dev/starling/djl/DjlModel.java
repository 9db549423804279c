package dev.starling.djl;

import ai.djl.nn.Block;
import dev.starling.core.learner.Task;
import java.util.Set;

/**
 * A deep-model architecture: builds an uninitialised DJL {@link Block} for given input and output sizes.
 *
 * <p>Implementations are immutable values ({@link DjlModels#parse} makes them from specs) and thread-safe;
 * every call to {@link #build} returns a fresh block. The block's output is raw scores (logits, or one value
 * for regression); the softmax lives in the loss.
 */
public interface DjlModel {
  /** The spec this model round-trips to, e.g. {@code djl:cnn:32,64,512}. */
  String spec();

  /** The tasks this architecture can learn. */
  Set<Task> tasks();

  /** True if the input is integer token ids (embedding first), false for float features. */
  boolean tokenInput();

  /**
   * A fresh block for examples of {@code exampleShape} and {@code outputs} outputs (classes, vocabulary, or 1).
   *
   * @throws IllegalArgumentException if the architecture cannot take that input shape, naming both
   */
  Block build(int[] exampleShape, int outputs);
}
