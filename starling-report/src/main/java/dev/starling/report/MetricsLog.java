package dev.starling.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Reads the {@code --metrics-out} JSON Lines contract (README, "Metrics file"): one object per round.
 * Every line must be a JSON object with an integer {@code round} (rounds strictly increasing) and the
 * numeric fields {@code clients_selected}, {@code clients_succeeded}, {@code bytes_up}, {@code bytes_down}
 * and {@code seconds}; other numeric fields (or null) are kept by name, {@code failures} and
 * {@code flagged} must be arrays of objects when present, and fields of other types that later releases
 * may add are ignored. Blank lines are skipped. A violation is a {@link MetricsFormatException} naming
 * source and line. This class reads a {@link Reader}; opening files is the caller's business.
 */
public final class MetricsLog {
  /** Fields every line must have, as numbers. */
  public static final List<String> REQUIRED =
      List.of("round", "clients_selected", "clients_succeeded", "bytes_up", "bytes_down", "seconds");

  private static final ObjectMapper JSON = new ObjectMapper();

  private MetricsLog() {}

  /**
   * Parses a whole metrics file.
   *
   * @param name the run's label
   * @param source the file name, for error messages and the summary
   * @param in the content; read to the end, not closed
   */
  public static RunMetrics read(String name, String source, Reader in) throws IOException {
    BufferedReader r = in instanceof BufferedReader b ? b : new BufferedReader(in);
    List<RoundRow> rows = new ArrayList<>();
    String line;
    int n = 0;
    while ((line = r.readLine()) != null) {
      n++;
      if (line.isBlank()) {
        continue;
      }
      RoundRow row = parseLine(source, n, line);
      if (!rows.isEmpty() && row.round() <= rows.get(rows.size() - 1).round()) {
        throw new MetricsFormatException(source, n, "round " + row.round() + " follows round "
            + rows.get(rows.size() - 1).round() + " (rounds must increase; is this two files concatenated?)");
      }
      rows.add(row);
    }
    if (rows.isEmpty()) {
      throw new MetricsFormatException(source, 0, "no rounds (an empty metrics file)");
    }
    return new RunMetrics(name, source, rows);
  }

  /** Parses one line ({@code lineNo} from 1, for messages). */
  public static RoundRow parseLine(String source, int lineNo, String line) {
    JsonNode o;
    try {
      o = JSON.readTree(line);
    } catch (JsonProcessingException e) {
      throw new MetricsFormatException(source, lineNo, "not JSON: " + e.getOriginalMessage());
    }
    if (o == null || !o.isObject()) {
      throw new MetricsFormatException(source, lineNo, "expected a JSON object per line, got "
          + (o == null ? "nothing" : o.getNodeType().name().toLowerCase(java.util.Locale.ROOT)));
    }
    for (String f : REQUIRED) {
      JsonNode v = o.get(f);
      if (v == null) {
        throw new MetricsFormatException(source, lineNo, "missing field '" + f + "'");
      }
      if (!v.isNumber()) {
        throw new MetricsFormatException(source, lineNo, "field '" + f + "' must be a number, got " + v);
      }
    }
    JsonNode roundNode = o.get("round");
    if (!roundNode.canConvertToInt() || roundNode.isFloatingPointNumber() || roundNode.asInt() < 1) {
      throw new MetricsFormatException(source, lineNo, "field 'round' must be an integer >= 1, got " + roundNode);
    }
    Map<String, Double> values = new LinkedHashMap<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = o.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> e = it.next();
      JsonNode v = e.getValue();
      if (v.isNumber()) {
        values.put(e.getKey(), v.asDouble());
      } else if (v.isNull()) {
        values.put(e.getKey(), Double.NaN);
      }
    }
    List<RoundRow.Failure> failures = new ArrayList<>();
    for (JsonNode f : array(o, "failures", source, lineNo)) {
      failures.add(new RoundRow.Failure(text(f, "client"), text(f, "code"), text(f, "reason")));
    }
    List<RoundRow.Flag> flagged = new ArrayList<>();
    for (JsonNode f : array(o, "flagged", source, lineNo)) {
      JsonNode w = f.get("weight");
      flagged.add(new RoundRow.Flag(text(f, "client"), text(f, "action"), w != null && w.isNumber() ? w.asDouble()
          : Double.NaN, text(f, "rule")));
    }
    JsonNode reason = o.get("failure_reason");
    if (reason != null && !reason.isNull() && !reason.isTextual()) {
      throw new MetricsFormatException(source, lineNo, "field 'failure_reason' must be a string, got " + reason);
    }
    return new RoundRow(roundNode.asInt(), values, failures, flagged, reason == null ? "" : reason.asText(""));
  }

  private static List<JsonNode> array(JsonNode o, String field, String source, int lineNo) {
    JsonNode a = o.get(field);
    if (a == null || a.isNull()) {
      return List.of();
    }
    if (!a.isArray()) {
      throw new MetricsFormatException(source, lineNo, "field '" + field + "' must be an array, got " + a.getNodeType()
          .name().toLowerCase(java.util.Locale.ROOT));
    }
    List<JsonNode> out = new ArrayList<>();
    for (int i = 0; i < a.size(); i++) {
      if (!a.get(i).isObject()) {
        throw new MetricsFormatException(source, lineNo, "field '" + field + "' entry " + (i + 1) + " must be an object, got "
            + a.get(i));
      }
      out.add(a.get(i));
    }
    return out;
  }

  private static String text(JsonNode o, String field) {
    JsonNode v = o.get(field);
    return v == null || v.isNull() ? "" : v.asText();
  }
}
