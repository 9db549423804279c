package dev.starling.vertical.data;

import dev.starling.vertical.ColumnBlock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * One party's table for vertical training: a record id per row, its numeric columns and, at the label party,
 * a 0/1 label. Parsed from CSV text with a header (comma-separated, no quoting: ids and numbers only); every
 * non-id, non-label column must be numeric (one-hot encode categorical columns first). Errors name the source,
 * line and column. Immutable.
 *
 * @param ids record id of every row, distinct
 * @param x the numeric columns
 * @param labels 0/1 label of every row, or null at a feature party
 */
public record PartyTable(List<String> ids, ColumnBlock x, int[] labels) {
  public PartyTable {
    ids = List.copyOf(ids);
    Objects.requireNonNull(x, "x");
  }

  /** Parses CSV from {@code in}; {@code source} names it in errors. */
  public static PartyTable parse(Reader in, String source, String idColumn, Optional<String> labelColumn) throws IOException {
    BufferedReader r = new BufferedReader(in);
    String header = r.readLine();
    if (header == null) {
      throw new IllegalArgumentException(source + ": empty file (expected a header line)");
    }
    List<String> cols = Arrays.stream(header.split(",", -1)).map(String::strip).toList();
    int idAt = cols.indexOf(idColumn);
    if (idAt < 0) {
      throw new IllegalArgumentException(source + ": no id column '" + idColumn + "' in the header " + cols);
    }
    int labelAt = labelColumn.map(cols::indexOf).orElse(-1);
    if (labelColumn.isPresent() && labelAt < 0) {
      throw new IllegalArgumentException(source + ": no label column '" + labelColumn.get() + "' in the header " + cols);
    }
    List<String> names = new ArrayList<>();
    for (int c = 0; c < cols.size(); c++) {
      if (c != idAt && c != labelAt) {
        names.add(cols.get(c));
      }
    }
    List<String> ids = new ArrayList<>();
    List<float[]> rows = new ArrayList<>();
    List<Integer> labels = new ArrayList<>();
    Map<String, Integer> seen = new HashMap<>();
    String line;
    int lineNo = 1;
    while ((line = r.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      String[] cells = line.split(",", -1);
      if (cells.length != cols.size()) {
        throw new IllegalArgumentException(source + " line " + lineNo + ": " + cells.length + " fields, header has " + cols.size());
      }
      String id = cells[idAt].strip();
      Integer first = seen.putIfAbsent(id, lineNo);
      if (first != null) {
        throw new IllegalArgumentException(source + " line " + lineNo + ": id '" + id + "' already on line " + first);
      }
      ids.add(id);
      float[] v = new float[names.size()];
      int k = 0;
      for (int c = 0; c < cells.length; c++) {
        if (c == idAt) {
          continue;
        }
        String cell = cells[c].strip();
        if (c == labelAt) {
          if (!cell.equals("0") && !cell.equals("1")) {
            throw new IllegalArgumentException(source + " line " + lineNo + " column '" + cols.get(c) + "': label '" + cell
                + "' is not 0 or 1");
          }
          labels.add(cell.equals("1") ? 1 : 0);
          continue;
        }
        try {
          v[k] = Float.parseFloat(cell);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(source + " line " + lineNo + " column '" + cols.get(c) + "': '" + cell
              + "' is not a number (one-hot encode categorical columns first)");
        }
        if (!Float.isFinite(v[k])) {
          throw new IllegalArgumentException(source + " line " + lineNo + " column '" + cols.get(c) + "': " + cell + " is not finite");
        }
        k++;
      }
      rows.add(v);
    }
    float[] flat = new float[rows.size() * names.size()];
    for (int i = 0; i < rows.size(); i++) {
      System.arraycopy(rows.get(i), 0, flat, i * names.size(), names.size());
    }
    int[] y = labelAt < 0 ? null : labels.stream().mapToInt(Integer::intValue).toArray();
    return new PartyTable(ids, new ColumnBlock(flat, rows.size(), names.size(), names), y);
  }

  /** The rows of {@code ids} (each must be present), in that order: the PSI-aligned table. */
  public PartyTable align(List<String> order) {
    Map<String, Integer> at = new HashMap<>();
    for (int i = 0; i < ids.size(); i++) {
      at.put(ids.get(i), i);
    }
    int[] index = new int[order.size()];
    for (int i = 0; i < index.length; i++) {
      Integer p = at.get(order.get(i));
      if (p == null) {
        throw new IllegalArgumentException("id '" + order.get(i) + "' is not in this party's table");
      }
      index[i] = p;
    }
    int[] y = labels == null ? null : Arrays.stream(index).map(i -> labels[i]).toArray();
    return new PartyTable(order, x.select(index), y);
  }

  /** Each column shifted and scaled to mean 0, standard deviation 1 over these rows (constant columns: centred). */
  public PartyTable standardized() {
    int n = x.rows();
    int d = x.cols();
    float[] out = x.x().clone();
    for (int c = 0; c < d; c++) {
      double s = 0;
      double ss = 0;
      for (int r = 0; r < n; r++) {
        double v = out[r * d + c];
        s += v;
        ss += v * v;
      }
      double mean = n == 0 ? 0 : s / n;
      double sd = n == 0 ? 0 : Math.sqrt(Math.max(0, ss / n - mean * mean));
      double scale = sd > 1e-12 ? 1 / sd : 1;
      for (int r = 0; r < n; r++) {
        out[r * d + c] = (float) ((out[r * d + c] - mean) * scale);
      }
    }
    return new PartyTable(ids, new ColumnBlock(out, n, d, x.names()), labels);
  }
}
