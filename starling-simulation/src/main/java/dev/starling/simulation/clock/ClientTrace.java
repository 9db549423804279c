package dev.starling.simulation.clock;

import dev.starling.data.DataFormatException;
import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * Per-client hardware and availability for the virtual clock, read from a CSV trace instead of drawn from
 * distributions ({@code --client-trace FILE}). Format, version 1 (RFC 4180, a header line, one row per virtual
 * client, in any order; cells trimmed, empty lines ignored):
 *
 * <pre>
 * client,speed,bandwidth,latency,availability
 * 0,120.5,10,0.05,0-300;600-900
 * c000001,80,2.5,0.1,
 * </pre>
 *
 * <ul>
 *   <li>{@code client}: the client's index (0, 1, ...) or its id ({@code c000001});</li>
 *   <li>{@code speed}: samples per second of local training, &gt; 0;</li>
 *   <li>{@code bandwidth}: link megabytes (10^6 bytes) per second, &gt; 0;</li>
 *   <li>{@code latency}: one-way seconds, &gt;= 0;</li>
 *   <li>{@code availability}: windows {@code START-END} in simulated seconds separated by {@code ;}, ascending and
 *       not overlapping, START &lt; END; empty: always available.</li>
 * </ul>
 *
 * Every client of the run needs exactly one row. Errors name the source, the 1-based line (the header is line 1)
 * and the column. A client is dispatched only inside one of its windows; a job that started inside a window runs
 * to its end.
 */
public final class ClientTrace {
  /** The header, in this order. */
  public static final List<String> COLUMNS = List.of("client", "speed", "bandwidth", "latency", "availability");
  private static final CSVFormat FORMAT = CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).setTrim(true).get();

  /** One client's row: its profile and its availability, as in the file. */
  public record Row(String client, int line, ClientProfile profile, Availability availability) {}

  private final String source;
  private final List<Row> rows;

  private ClientTrace(String source, List<Row> rows) {
    this.source = source;
    this.rows = List.copyOf(rows);
  }

  public String source() {
    return source;
  }

  public List<Row> rows() {
    return rows;
  }

  /** Reads a trace from {@code reader}; {@code source} names it in errors (the file name). */
  public static ClientTrace read(Reader reader, String source) throws IOException {
    Objects.requireNonNull(source, "source");
    List<Row> rows = new ArrayList<>();
    try (CSVParser parser = CSVParser.builder().setReader(reader).setFormat(FORMAT).get()) {
      boolean header = true;
      for (var it = parser.iterator(); ; ) {
        CSVRecord rec;
        try {
          if (!it.hasNext()) {
            break;
          }
          rec = it.next();
        } catch (UncheckedIOException e) {
          throw new DataFormatException(source + " line " + Math.max(1, parser.getCurrentLineNumber())
              + ": malformed CSV: " + e.getCause().getMessage(), e.getCause());
        }
        int line = (int) parser.getCurrentLineNumber();
        String[] v = rec.values();
        if (header) {
          List<String> got = Arrays.stream(v).map(s -> s.toLowerCase(Locale.ROOT)).toList();
          if (!got.equals(COLUMNS)) {
            throw new DataFormatException(source + " line " + line + ": the header must be " + String.join(",", COLUMNS)
                + ", found " + String.join(",", v));
          }
          header = false;
          continue;
        }
        if (v.length != COLUMNS.size()) {
          throw new DataFormatException(source + " line " + line + ": expected " + COLUMNS.size()
              + " fields (as in the header) but found " + v.length);
        }
        String where = source + " line " + line + ", column ";
        if (v[0].isEmpty()) {
          throw new DataFormatException(where + "'client': empty");
        }
        double speed = number(v[1], where + "'speed'");
        double bw = number(v[2], where + "'bandwidth'");
        double lat = number(v[3], where + "'latency'");
        if (!(speed > 0)) {
          throw new DataFormatException(where + "'speed': must be > 0 samples/s, found " + v[1]);
        }
        if (!(bw > 0)) {
          throw new DataFormatException(where + "'bandwidth': must be > 0 MB/s, found " + v[2]);
        }
        if (!(lat >= 0)) {
          throw new DataFormatException(where + "'latency': must be >= 0 s, found " + v[3]);
        }
        rows.add(new Row(v[0], line, new ClientProfile(speed, bw * 1e6, lat), availability(v[4], where + "'availability'")));
      }
      if (header) {
        throw new DataFormatException(source + ": empty file (no header line)");
      }
    }
    return new ClientTrace(source, rows);
  }

  private static double number(String s, String where) throws DataFormatException {
    try {
      double d = Double.parseDouble(s);
      if (!Double.isFinite(d)) {
        throw new NumberFormatException();
      }
      return d;
    } catch (NumberFormatException e) {
      throw new DataFormatException(where + ": not a finite number: '" + s + "'");
    }
  }

  private static Availability availability(String s, String where) throws DataFormatException {
    if (s.isEmpty()) {
      return Availability.ALWAYS;
    }
    String[] parts = s.split(";", -1);
    double[] starts = new double[parts.length];
    double[] ends = new double[parts.length];
    for (int i = 0; i < parts.length; i++) {
      String w = parts[i].strip();
      int dash = w.indexOf('-', 1);
      if (dash < 0) {
        throw new DataFormatException(where + ": window " + (i + 1) + " '" + w + "' is not START-END (simulated seconds)");
      }
      starts[i] = number(w.substring(0, dash).strip(), where + " window " + (i + 1) + " start");
      ends[i] = number(w.substring(dash + 1).strip(), where + " window " + (i + 1) + " end");
      if (!(starts[i] >= 0 && starts[i] < ends[i])) {
        throw new DataFormatException(where + ": window " + (i + 1) + " '" + w + "' needs 0 <= START < END");
      }
      if (i > 0 && starts[i] < ends[i - 1]) {
        throw new DataFormatException(where + ": window " + (i + 1) + " '" + w + "' starts before window " + i
            + " ends; list windows in ascending order without overlaps");
      }
    }
    return new Availability(starts, ends);
  }

  /**
   * The rows in client order for a run of {@code n} clients with ids {@code ids} (index i has id
   * {@code ids.get(i)}): every client exactly once. Throws {@link IllegalArgumentException} naming the source and
   * line of an unknown or repeated client, or the clients without a row.
   */
  public Row[] forClients(List<String> ids) {
    Map<String, Integer> byId = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      byId.put(ids.get(i), i);
    }
    Row[] out = new Row[ids.size()];
    for (Row r : rows) {
      Integer i = byId.get(r.client());
      if (i == null) {
        try {
          int k = Integer.parseInt(r.client());
          i = k >= 0 && k < ids.size() ? k : null;
        } catch (NumberFormatException e) {
          i = null;
        }
      }
      if (i == null) {
        throw new IllegalArgumentException(source + " line " + r.line() + ", column 'client': no client '" + r.client()
            + "' in this run of " + ids.size() + " clients (indices 0.." + (ids.size() - 1) + " or ids " + ids.get(0)
            + "...)");
      }
      if (out[i] != null) {
        throw new IllegalArgumentException(source + " line " + r.line() + ", column 'client': client " + ids.get(i)
            + " (index " + i + ") already has a row, at line " + out[i].line());
      }
      out[i] = r;
    }
    List<Integer> missing = new ArrayList<>();
    for (int i = 0; i < out.length; i++) {
      if (out[i] == null) {
        missing.add(i);
      }
    }
    if (!missing.isEmpty()) {
      throw new IllegalArgumentException(source + ": no row for " + missing.size() + " of the " + ids.size()
          + " clients (indices " + missing.subList(0, Math.min(10, missing.size())) + (missing.size() > 10 ? ", ..." : "")
          + "); every client needs one");
    }
    return out;
  }

  /** Whether any client has availability windows. */
  public boolean hasWindows() {
    return rows.stream().anyMatch(r -> r.availability() != Availability.ALWAYS);
  }

  public String describe() {
    return "trace " + source + " (" + rows.size() + " clients" + (hasWindows() ? ", availability windows" : "") + ")";
  }
}
