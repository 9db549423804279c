package dev.starling.learners;

import java.util.Set;

/**
 * Makes learners available by name, found with {@link java.util.ServiceLoader}: a jar on the class path that
 * lists its provider in {@code META-INF/services/dev.starling.learners.LearnerProvider} adds
 * {@code --model NAME[:ARGS]} (and {@code model = NAME[:ARGS]} in the server's config, and the same model in a
 * client's Welcome) without touching Starling. The built-in {@code logreg} and {@code mlp:H1,...} are registered
 * the same way ({@link Learners.Builtin}).
 */
public interface LearnerProvider {
  /** The lower-case names this provider answers, e.g. {@code my-net} for {@code --model my-net:3}. */
  Set<String> names();

  /**
   * The factory for {@code name} with {@code argument} (the text after the first {@code ':'}, or null); throws
   * {@link IllegalArgumentException} saying the valid forms for a bad argument.
   */
  LearnerFactory create(String name, String argument);

  /** The spec forms for help texts and error messages. Default: the names. */
  default String forms() {
    return String.join(" | ", names());
  }
}
