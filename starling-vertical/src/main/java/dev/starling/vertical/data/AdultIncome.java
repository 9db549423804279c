package dev.starling.vertical.data;

import dev.starling.vertical.ColumnBlock;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Reader;
import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;

/**
 * Reads the UCI Adult / Census Income training file ({@code adult.data}: 15 comma-separated fields, no header,
 * income {@code <=50K} / {@code >50K}) split by columns between two parties, as in a bank (demographics, with
 * the label) and an employer or tax office (work and finance). Row {@code i} gets the id {@code adult-i}.
 *
 * <p>Label party ("demographics"): age, education-num (standardised), sex, race, marital-status, relationship
 * (one-hot), born in the United States (0/1). Feature party ("work and finance"): workclass, occupation
 * (one-hot, '?' a category of its own), fnlwgt, hours-per-week, log(1 + capital-gain), log(1 + capital-loss)
 * (standardised). One-hot columns stay 0/1 so they are sparse in the Paillier product. The data set
 * (Becker and Kohavi 1996, CC BY 4.0) is not bundled; the CLI reads it from the data directory.
 * Labels: 1 for income above 50K.
 */
public final class AdultIncome {
  private AdultIncome() {}


  /** Parses {@code adult.data} text; {@code source} names it in errors. */
  public static VerticalDataset parse(Reader in, String source) throws IOException {
    BufferedReader r = new BufferedReader(in);
    List<String[]> rows = new ArrayList<>();
    String line;
    int lineNo = 0;
    while ((line = r.readLine()) != null) {
      lineNo++;
      if (line.isBlank()) {
        continue;
      }
      String[] f = line.split(",", -1);
      if (f.length != 15) {
        throw new IllegalArgumentException(source + " line " + lineNo + ": " + f.length + " fields; adult.data has 15");
      }
      for (int i = 0; i < f.length; i++) {
        f[i] = f[i].strip();
      }
      String income = f[14].replace(".", "");
      if (!income.equals("<=50K") && !income.equals(">50K")) {
        throw new IllegalArgumentException(source + " line " + lineNo + ": income '" + f[14] + "' is neither <=50K nor >50K");
      }
      for (int c : new int[] {0, 2, 4, 10, 11, 12}) {
        try {
          Double.parseDouble(f[c]);
        } catch (NumberFormatException e) {
          throw new IllegalArgumentException(source + " line " + lineNo + " field " + (c + 1) + ": '" + f[c] + "' is not a number");
        }
      }
      rows.add(f);
    }
    int n = rows.size();
    List<String> ids = new ArrayList<>(n);
    int[] y = new int[n];
    for (int i = 0; i < n; i++) {
      ids.add("adult-" + i);
      y[i] = rows.get(i)[14].startsWith(">") ? 1 : 0;
    }
    Builder demo = new Builder(n);
    demo.numeric(rows, 0, false, "age");
    demo.numeric(rows, 4, false, "education-num");
    demo.oneHot(rows, 9, "sex");
    demo.oneHot(rows, 8, "race");
    demo.oneHot(rows, 5, "marital-status");
    demo.oneHot(rows, 7, "relationship");
    float[] us = new float[n];
    for (int i = 0; i < n; i++) {
      us[i] = rows.get(i)[13].equals("United-States") ? 1 : 0;
    }
    demo.add("born-us", us);
    Builder work = new Builder(n);
    work.oneHot(rows, 1, "workclass");
    work.oneHot(rows, 6, "occupation");
    work.numeric(rows, 2, false, "fnlwgt");
    work.numeric(rows, 12, false, "hours-per-week");
    work.numeric(rows, 10, true, "log-capital-gain");
    work.numeric(rows, 11, true, "log-capital-loss");
    return new VerticalDataset(ids, demo.build(), work.build(), y);
  }

  /** Builds a column block column by column. */
  private static final class Builder {
    private final int n;
    private final List<float[]> cols = new ArrayList<>();
    private final List<String> names = new ArrayList<>();

    Builder(int n) {
      this.n = n;
    }

    void add(String name, float[] col) {
      names.add(name);
      cols.add(col);
    }

    void numeric(List<String[]> rows, int c, boolean log, String name) {
      double[] v = new double[n];
      double s = 0;
      for (int i = 0; i < n; i++) {
        v[i] = Double.parseDouble(rows.get(i)[c]);
        if (log) {
          v[i] = Math.log1p(v[i]);
        }
        s += v[i];
      }
      double mean = s / n;
      double ss = 0;
      for (double x : v) {
        ss += (x - mean) * (x - mean);
      }
      double sd = Math.sqrt(ss / n);
      float[] col = new float[n];
      for (int i = 0; i < n; i++) {
        col[i] = (float) ((v[i] - mean) / (sd > 0 ? sd : 1));
      }
      add(name, col);
    }

    void oneHot(List<String[]> rows, int c, String prefix) {
      TreeSet<String> values = new TreeSet<>();
      for (String[] r : rows) {
        values.add(r[c]);
      }
      for (String value : values) {
        float[] col = new float[n];
        for (int i = 0; i < n; i++) {
          col[i] = rows.get(i)[c].equals(value) ? 1 : 0;
        }
        add(prefix + "=" + value, col);
      }
    }

    ColumnBlock build() {
      int d = cols.size();
      float[] x = new float[n * d];
      for (int j = 0; j < d; j++) {
        float[] col = cols.get(j);
        for (int i = 0; i < n; i++) {
          x[i * d + j] = col[i];
        }
      }
      return new ColumnBlock(x, n, d, names);
    }
  }
}
