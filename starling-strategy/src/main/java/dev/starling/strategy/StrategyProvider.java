package dev.starling.strategy;

import java.util.Set;

/**
 * Makes strategies available by name, found with {@link java.util.ServiceLoader}: a jar on the class path
 * that lists its provider in {@code META-INF/services/dev.starling.strategy.StrategyProvider} adds
 * {@code --strategy NAME[:ARG]} (and {@code strategy = NAME[:ARG]} in the server's config, and the same name
 * in a client's Welcome) without touching Starling. The built-in strategies are registered the same way.
 */
public interface StrategyProvider {
  /** The lower-case names this provider answers, e.g. {@code my-rule} for {@code --strategy my-rule:0.3}. */
  Set<String> names();

  /**
   * A fresh strategy for {@code name} with {@code argument} (the text after the first {@code ':'}, or null);
   * throws {@link IllegalArgumentException} saying the valid forms for a bad argument.
   */
  Strategy create(String name, String argument);

  /** The spec forms for help texts and error messages. Default: the names. */
  default String forms() {
    return String.join(" | ", names());
  }
}
