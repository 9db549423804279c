package dev.starling.core.message;

import dev.starling.core.error.Checks;

/**
 * The typed name of a tensor payload that travels beside the model in a training job or reply, e.g.
 * SCAFFOLD's control variates. Declared once as a constant by the component that owns it; the name is
 * stable because it crosses the wire.
 */
public record AttachmentKey(String name) {
  /**
   * A sparse or sub-model update's trained positions: a parameter set shaped like the model, 1 where the
   * client trained (and sent) the coordinate, 0 where it did not. Position-wise aggregation averages each
   * coordinate over the clients that trained it.
   */
  public static final AttachmentKey TRAINED_MASK = new AttachmentKey("trained-mask");

  public AttachmentKey {
    Checks.checkArgument(name != null && name.matches("[a-z0-9_.-]+"), "attachment name", "lower-case [a-z0-9_.-]+", name);
  }
}
