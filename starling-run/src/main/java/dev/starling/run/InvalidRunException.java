package dev.starling.run;

import java.util.function.Supplier;

/**
 * A run that must not start: a setting has a bad value, or settings that cannot work together (a
 * refused feature combination). Raised before round 1; the CLI reports it as bad usage (exit code 2),
 * naming the setting as the flag ({@code --local-epochs}) or the properties key ({@code local-epochs}).
 */
public final class InvalidRunException extends IllegalArgumentException {
  private final String setting;

  /** {@code setting}: the setting's name without dashes, e.g. {@code local-epochs}; {@code problem}: what is wrong. */
  public InvalidRunException(String setting, String problem) {
    super(setting + " " + problem);
    this.setting = setting;
  }

  private InvalidRunException(String setting, String message, Throwable cause) {
    super(message, cause);
    this.setting = setting;
  }

  /** The setting at fault (the first one named, for combinations). */
  public String setting() {
    return setting;
  }

  /** The problem without the leading setting name. */
  public String problem() {
    String m = getMessage();
    return m.startsWith(setting + ": ") ? m.substring(setting.length() + 2)
        : m.startsWith(setting + " ") ? m.substring(setting.length() + 1) : m;
  }

  /** Runs {@code parse}; an {@link IllegalArgumentException} it throws becomes one naming {@code setting}. */
  static <T> T wrap(String setting, Supplier<T> parse) {
    try {
      return parse.get();
    } catch (InvalidRunException e) {
      throw e;
    } catch (IllegalArgumentException e) {
      String m = e.getMessage() == null ? e.getClass().getSimpleName() : e.getMessage();
      // parsers often name the setting themselves ("strategy must be one of ...")
      throw new InvalidRunException(setting, m.startsWith(setting + " ") ? m : setting + ": " + m, e);
    }
  }

  /** As {@link #wrap}, for callers outside this package (the CLI building typed values from flags). */
  public static <T> T wrapAs(String setting, Supplier<T> parse) {
    return wrap(setting, parse);
  }

  /** A refused combination: {@code setting} with something else, and why. */
  static InvalidRunException refused(String setting, String why) {
    return new InvalidRunException(setting, setting + ": " + why, null);
  }
}
