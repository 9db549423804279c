package dev.starling.core.message;

import dev.starling.core.error.Checks;

/**
 * The typed name of a tensor payload that travels beside the model in a training job or reply, e.g.
 * SCAFFOLD's control variates. Declared once as a constant by the component that owns it; the name is
 * stable because it crosses the wire.
 */
public record AttachmentKey(String name) {
  public AttachmentKey {
    Checks.checkArgument(name != null && name.matches("[a-z0-9_.-]+"), "attachment name", "lower-case [a-z0-9_.-]+", name);
  }
}
