package dev.starling.run;

import java.time.Duration;
import java.util.Locale;

/** Durations as settings write them: {@code 500ms}, {@code 30s}, {@code 5m} or ISO-8601 ({@code PT30S}). */
public final class Durations {
  private Durations() {}

  /** Parses {@code v}; a bad value is an {@link InvalidRunException} naming {@code setting}. */
  public static Duration parse(String v, String setting) {
    String s = v.trim().toLowerCase(Locale.ROOT);
    try {
      if (s.endsWith("ms")) {
        return Duration.ofMillis(Long.parseLong(s.substring(0, s.length() - 2)));
      }
      if (s.endsWith("s")) {
        return Duration.ofMillis(Math.round(Double.parseDouble(s.substring(0, s.length() - 1)) * 1000));
      }
      if (s.endsWith("m")) {
        return Duration.ofSeconds(Long.parseLong(s.substring(0, s.length() - 1)) * 60);
      }
      return Duration.parse(v.trim());
    } catch (RuntimeException e) {
      throw new InvalidRunException(setting, "must be a duration like 500ms, 30s, 5m or PT30S. Provided value: " + v);
    }
  }
}
