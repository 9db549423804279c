package dev.starling.report;

import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The rounds of one run, read from its metrics file.
 *
 * @param name the run's label in the report (by default the file name without {@code .jsonl})
 * @param source where the rounds came from (the file), shown in the summary
 * @param rounds the rounds in increasing order
 */
public record RunMetrics(String name, String source, List<RoundRow> rounds) {
  public RunMetrics {
    rounds = List.copyOf(rounds);
  }

  /** Every numeric field that appears in some round, in first-seen order. */
  public Set<String> fields() {
    Set<String> out = new LinkedHashSet<>();
    for (RoundRow r : rounds) {
      out.addAll(r.values().keySet());
    }
    return out;
  }

  /** Whether some round has a finite value for {@code field}. */
  public boolean has(String field) {
    for (RoundRow r : rounds) {
      if (Double.isFinite(r.value(field))) {
        return true;
      }
    }
    return false;
  }

  /** This run under another name. */
  public RunMetrics named(String newName) {
    return new RunMetrics(newName, source, rounds);
  }
}
