package dev.starling.data;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The text cells of a CSV file and the physical line each row starts on: the first step of
 * {@link CsvLoader}, before columns are typed and encoded.
 */
record RawTable(String source, List<String> columns, List<String[]> rows, int[] lines) {
  private static final CSVFormat FORMAT =
      CSVFormat.RFC4180.builder().setIgnoreEmptyLines(true).setTrim(true).get();

  /** Reads every record; checks that each has as many fields as the header (or the first row). */
  static RawTable read(Reader reader, String source, boolean hasHeader) throws IOException {
    try (CSVParser parser = CSVParser.builder().setReader(reader).setFormat(FORMAT).get()) {
      Iterator<CSVRecord> it = parser.iterator();
      List<String[]> rows = new ArrayList<>();
      int[] lines = new int[1024];
      List<String> columns = null;
      while (true) {
        CSVRecord rec;
        try {
          if (!it.hasNext()) {
            break;
          }
          rec = it.next();
        } catch (UncheckedIOException e) {
          throw wrap(source, parser.getCurrentLineNumber(), e.getCause());
        }
        String[] values = rec.values();
        int line = startLine(parser.getCurrentLineNumber(), values);
        if (columns == null) {
          columns = hasHeader ? headerNames(source, values) : defaultNames(values.length);
          if (hasHeader) {
            continue;
          }
        }
        if (values.length != columns.size()) {
          throw new DataFormatException(source + " line " + line + ": expected " + columns.size() + " fields"
              + (hasHeader ? " (as in the header)" : " (as in the first row)") + " but found " + values.length);
        }
        if (rows.size() == lines.length) {
          lines = Arrays.copyOf(lines, lines.length * 2);
        }
        lines[rows.size()] = line;
        rows.add(values);
      }
      if (columns == null) {
        throw new DataFormatException(source + ": empty file" + (hasHeader ? " (no header line)" : ""));
      }
      return new RawTable(source, columns, rows, Arrays.copyOf(lines, rows.size()));
    }
  }

  /** The 1-based line a record starts on, given the line it ended on and its embedded line breaks. */
  private static int startLine(long endLine, String[] values) {
    long embedded = 0;
    for (String v : values) {
      for (int i = v.indexOf('\n'); i >= 0; i = v.indexOf('\n', i + 1)) {
        embedded++;
      }
    }
    return (int) Math.max(1, endLine - embedded);
  }

  private static DataFormatException wrap(String source, long line, Throwable cause) {
    String what = cause == null ? "unreadable CSV" : cause.getMessage();
    return new DataFormatException(source + " line " + Math.max(1, line) + ": malformed CSV: " + what, cause);
  }

  private static List<String> headerNames(String source, String[] header) throws DataFormatException {
    String[] names = header.clone();
    if (names.length > 0 && !names[0].isEmpty() && names[0].charAt(0) == '\uFEFF') {
      names[0] = names[0].substring(1).trim();
    }
    Map<String, Integer> seen = new HashMap<>();
    for (int i = 0; i < names.length; i++) {
      if (names[i].isEmpty()) {
        names[i] = "c" + i;
      }
      Integer prev = seen.putIfAbsent(names[i], i);
      if (prev != null) {
        throw new DataFormatException(source + " line 1: duplicate column name '" + names[i] + "' (columns "
            + (prev + 1) + " and " + (i + 1) + ")");
      }
    }
    return List.of(names);
  }

  private static List<String> defaultNames(int n) {
    String[] names = new String[n];
    for (int i = 0; i < n; i++) {
      names[i] = "c" + i;
    }
    return List.of(names);
  }
}
