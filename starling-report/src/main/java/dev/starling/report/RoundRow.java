package dev.starling.report;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One line of a metrics file (one round), as the report reads it.
 *
 * @param round round number, from 1
 * @param values every numeric field of the line by name, in file order; a {@code null} field is NaN
 * @param failures the {@code failures} array: selected clients that failed or were rejected
 * @param flagged the {@code flagged} array: clients a robust rule rejected, down-weighted or clipped
 * @param failureReason why the round committed no update, or empty
 */
public record RoundRow(int round, Map<String, Double> values, List<Failure> failures, List<Flag> flagged,
    String failureReason) {
  public RoundRow {
    values = Collections.unmodifiableMap(new LinkedHashMap<>(values));
    failures = List.copyOf(failures);
    flagged = List.copyOf(flagged);
    failureReason = failureReason == null ? "" : failureReason;
  }

  /** The value of {@code field}, or NaN when the line lacks it or it is null. */
  public double value(String field) {
    Double v = values.get(field);
    return v == null ? Double.NaN : v;
  }

  /** One entry of {@code failures}: client id, {@code ErrorCode} name and reason. */
  public record Failure(String client, String code, String reason) {}

  /** One entry of {@code flagged}: client id, action ({@code REJECTED}, ...), weight and the rule's name. */
  public record Flag(String client, String action, double weight, String rule) {}
}
