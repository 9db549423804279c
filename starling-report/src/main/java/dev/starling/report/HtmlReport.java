package dev.starling.report;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/**
 * Renders runs as one self-contained HTML page: a summary table, failure and flagged-client tables, and
 * a uPlot chart per metric group with every run overlaid. uPlot (MIT, bundled under
 * {@code dev/starling/report/uplot/}) and the page's own script and style are inlined, so the file opens
 * without a network. The data sit in a {@code <script type="application/json" id="starling-data">}
 * element: {@code {"title", "runs": [{"name", "source", "rounds": [...], "series": {FIELD: [...]}}],
 * "charts": [...]}}, every series holding one value (or null) per entry of {@code rounds}.
 */
public final class HtmlReport {
  /** Derived series: failed / flagged clients per round (the lengths of the {@code failures} / {@code flagged} arrays). */
  public static final String CLIENTS_FAILED = "clients_failed";
  public static final String CLIENTS_FLAGGED = "clients_flagged";

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A chart: title, y unit ({@code bytes} or {@code number}), and the fields it plots with their labels. */
  record Chart(String title, String unit, String note, List<String[]> series) {}

  /** The metric groups, in page order; a chart appears when some run has one of its fields. */
  static final List<Chart> CHARTS = List.of(
      chart("Accuracy", "number", null, "test_accuracy", "test", "eval_accuracy", "federated eval", "train_accuracy", "train"),
      chart("Loss", "number", null, "test_loss", "test", "train_loss", "train (last epoch)", "eval_loss", "federated eval"),
      chart("ROC AUC", "number", null, "test_auc", "test", "eval_auc", "federated eval"),
      chart("RMSE and MAE", "number", "in the label's units", "test_rmse", "RMSE", "test_mae", "MAE"),
      chart("R\u00b2", "number", null, "test_r2", "test", "eval_r2", "federated eval"),
      chart("Perplexity", "number", null, "test_perplexity", "test", "eval_perplexity", "federated eval"),
      chart("Bytes per round", "bytes", null, "bytes_up", "up", "bytes_down", "down", "wire_bytes_up", "wire up",
          "wire_bytes_down", "wire down", "secagg_bytes_up", "secagg up", "secagg_bytes_down", "secagg down"),
      chart("Privacy spent (\u03b5)", "number", "cumulative epsilon at the run's delta", "epsilon", "\u03b5"),
      chart("Clients", "number", null, "clients_selected", "selected", "clients_succeeded", "succeeded", CLIENTS_FAILED,
          "failed or rejected"),
      chart("Flagged clients", "number", "clients a robust rule rejected, down-weighted or clipped", CLIENTS_FLAGGED, "flagged",
          "malicious_flagged", "attackers flagged", "honest_flagged", "honest flagged", "malicious_selected",
          "attackers selected"),
      chart("Round time", "number", "seconds", "seconds", "wall clock", "simulated_seconds", "simulated"),
      chart("Simulated time", "number", "seconds on the simulated clock", "simulated_time", "simulated time"),
      chart("Staleness", "number", "rounds behind the global model", "staleness", "staleness", "staleness_mean", "mean",
          "staleness_max", "max"));

  private static final Set<String> NOT_OTHER = Set.of("round");

  private HtmlReport() {}

  private static Chart chart(String title, String unit, String note, String... fieldLabels) {
    List<String[]> s = new ArrayList<>();
    for (int i = 0; i < fieldLabels.length; i += 2) {
      s.add(new String[] {fieldLabels[i], fieldLabels[i + 1]});
    }
    return new Chart(title, unit, note, List.copyOf(s));
  }

  /**
   * A table of the caller's own, shown above the summary (e.g. a demo's comparison of runs); cells are plain text.
   *
   * @param caption the table's heading
   * @param header the column names
   * @param rows the rows, each with one cell per column
   */
  public record Table(String caption, List<String> header, List<List<String>> rows) {
    public Table {
      header = List.copyOf(header);
      rows = rows.stream().map(List::copyOf).toList();
      for (List<String> r : rows) {
        if (r.size() != header.size()) {
          throw new IllegalArgumentException("table '" + caption + "': a row has " + r.size() + " cells for "
              + header.size() + " columns: " + r);
        }
      }
    }
  }

  /** The page for {@code runs} (at least one; names made unique). */
  public static String render(String title, List<RunMetrics> runs) {
    return render(title, runs, List.of());
  }

  /**
   * The page for {@code runs} with {@code tables} first, then the summary; a line of links leads to each plot that
   * has data (anchors {@code #chart-...}, see {@link #chartId}).
   */
  public static String render(String title, List<RunMetrics> runs, List<Table> tables) {
    if (runs.isEmpty()) {
      throw new IllegalArgumentException("a report needs at least one run");
    }
    runs = uniqueNames(runs);
    StringBuilder h = new StringBuilder(96 * 1024);
    h.append("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n")
        .append("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n")
        .append("<meta name=\"generator\" content=\"starling report\">\n<title>").append(esc(title)).append("</title>\n<style>\n")
        .append(resource("uplot/uPlot.min.css")).append("\n").append(resource("report.css")).append("</style>\n</head>\n<body>\n");
    h.append("<header><h1>").append(esc(title)).append("</h1><div class=\"sub\">");
    for (int i = 0; i < runs.size(); i++) {
      RunMetrics r = runs.get(i);
      h.append(i == 0 ? "" : " &middot; ").append(swatch(i, runs.size())).append("<b>").append(esc(r.name())).append("</b> ")
          .append(esc(r.source())).append(" (").append(r.rounds().size()).append(r.rounds().size() == 1 ? " round)" : " rounds)");
    }
    h.append("</div></header>\n<main>\n<noscript><p>The charts need JavaScript; the tables below do not.</p></noscript>\n");
    for (Table t : tables) {
      h.append(table(t));
    }
    h.append("<h2>Summary</h2>\n<section class=\"card\">").append(summary(runs)).append("</section>\n");
    h.append(plotLinks(runs));
    h.append("<h2>Per round</h2>\n<div class=\"grid\" id=\"charts-main\"></div>\n");
    h.append(failures(runs));
    h.append(flagged(runs));
    h.append("<div id=\"charts-other-box\"><details><summary>Other metrics</summary>"
        + "<div class=\"grid small\" id=\"charts-other\"></div></details></div>\n");
    h.append("</main>\n<script type=\"application/json\" id=\"starling-data\">").append(dataJson(title, runs)).append("</script>\n");
    h.append("<script>\n").append(resource("uplot/uPlot.iife.min.js")).append("\n</script>\n");
    h.append("<script>\n").append(resource("report.js")).append("</script>\n</body>\n</html>\n");
    return h.toString();
  }

  /** The embedded data: runs with one value per round for every series, and the chart list. */
  static String dataJson(String title, List<RunMetrics> runs) {
    ObjectNode root = JSON.createObjectNode();
    root.put("title", title);
    ArrayNode rs = root.putArray("runs");
    Set<String> all = new java.util.LinkedHashSet<>();
    for (RunMetrics run : runs) {
      ObjectNode o = rs.addObject();
      o.put("name", run.name());
      o.put("source", run.source());
      ArrayNode rounds = o.putArray("rounds");
      run.rounds().forEach(r -> rounds.add(r.round()));
      ObjectNode series = o.putObject("series");
      for (String f : run.fields()) {
        if (!NOT_OTHER.contains(f)) {
          all.add(f);
          put(series.putArray(f), run, r -> r.value(f));
        }
      }
      if (!series.has(CLIENTS_FAILED)) {
        put(series.putArray(CLIENTS_FAILED), run, r -> (double) r.failures().size());
      }
      if (!series.has(CLIENTS_FLAGGED)) {
        put(series.putArray(CLIENTS_FLAGGED), run, r -> (double) r.flagged().size());
      }
    }
    all.add(CLIENTS_FAILED);
    all.add(CLIENTS_FLAGGED);
    ArrayNode charts = root.putArray("charts");
    Set<String> charted = new HashSet<>();
    for (Chart c : CHARTS) {
      addChart(charts, "main", c.title(), c.unit(), c.note(), c.series());
      c.series().forEach(s -> charted.add(s[0]));
    }
    List<String[]> contribution = new ArrayList<>();
    for (String f : all) {
      if (f.startsWith("contribution")) {
        contribution.add(new String[] {f, f});
        charted.add(f);
      }
    }
    if (!contribution.isEmpty()) {
      addChart(charts, "main", "Contribution scores", "number", null, contribution);
    }
    for (String f : all) {
      if (!charted.contains(f)) {
        addChart(charts, "other", f, f.contains("bytes") ? "bytes" : "number", null, List.<String[]>of(new String[] {f, f}))
            .put("small", true);
      }
    }
    try {
      // "<" escaped so no value can close the script element
      return JSON.writeValueAsString(root).replace("<", "\\u003c");
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /** The anchor of the chart titled {@code title}: {@code chart-} and the title's letters and digits, lower case, dashed. */
  public static String chartId(String title) {
    String slug = title.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9]+", "-").replaceAll("^-|-$", "");
    return "chart-" + (slug.isEmpty() ? Integer.toHexString(title.hashCode()) : slug);
  }

  /** "Plots:" and a link to every main chart that some run has data for (as the page's script draws them). */
  private static String plotLinks(List<RunMetrics> runs) {
    StringBuilder links = new StringBuilder();
    for (Chart c : CHARTS) {
      // the derived series (failed, flagged clients) are always there, as zeros when nothing failed
      boolean any = c.series().stream().anyMatch(s -> s[0].equals(CLIENTS_FAILED) || s[0].equals(CLIENTS_FLAGGED)
          || runs.stream().anyMatch(r -> r.has(s[0])));
      if (any) {
        links.append(links.isEmpty() ? "" : " &middot; ").append("<a href=\"#").append(chartId(c.title())).append("\">")
            .append(esc(c.title())).append("</a>");
      }
    }
    return links.isEmpty() ? "" : "<p class=\"plots\">Plots: " + links + "</p>\n";
  }

  private static String table(Table t) {
    StringBuilder b = new StringBuilder("<h2>").append(esc(t.caption())).append("</h2>\n<section class=\"card\"><table><thead><tr>");
    t.header().forEach(c -> b.append("<th>").append(esc(c)).append("</th>"));
    b.append("</tr></thead><tbody>");
    for (List<String> r : t.rows()) {
      b.append("<tr>");
      r.forEach(c -> b.append("<td>").append(esc(c)).append("</td>"));
      b.append("</tr>");
    }
    return b.append("</tbody></table></section>\n").toString();
  }

  private static ObjectNode addChart(ArrayNode charts, String section, String title, String unit, String note,
      List<String[]> series) {
    ObjectNode c = charts.addObject();
    c.put("id", chartId(title));
    c.put("section", section);
    c.put("title", title);
    c.put("unit", unit);
    if (note != null) {
      c.put("note", note);
    }
    ArrayNode s = c.putArray("series");
    for (String[] fl : series) {
      s.addObject().put("field", fl[0]).put("label", fl[1]);
    }
    return c;
  }

  private static void put(ArrayNode a, RunMetrics run, Function<RoundRow, Double> value) {
    for (RoundRow r : run.rounds()) {
      double v = value.apply(r);
      if (Double.isFinite(v)) {
        a.add(v);
      } else {
        a.addNull();
      }
    }
  }

  private static List<RunMetrics> uniqueNames(List<RunMetrics> runs) {
    Map<String, Integer> seen = new LinkedHashMap<>();
    List<RunMetrics> out = new ArrayList<>();
    for (RunMetrics r : runs) {
      int k = seen.merge(r.name(), 1, Integer::sum);
      out.add(k == 1 ? r : r.named(r.name() + " (" + k + ")"));
    }
    return out;
  }

  private static String summary(List<RunMetrics> runs) {
    List<String[]> cols = new ArrayList<>();
    // {header, field, kind}: kind "last", "best+" (higher is better), "best-", "sum"
    String[][] candidates = {
        {"final test accuracy", "test_accuracy", "last"}, {"best test accuracy", "test_accuracy", "best+"},
        {"final test loss", "test_loss", "last"}, {"final train loss", "train_loss", "last"},
        {"final test AUC", "test_auc", "last"}, {"final test RMSE", "test_rmse", "last"}, {"best test RMSE", "test_rmse", "best-"},
        {"final test R\u00b2", "test_r2", "last"}, {"final test perplexity", "test_perplexity", "last"},
        {"\u03b5 spent", "epsilon", "last"}, {"bytes up", "bytes_up", "bytes"}, {"bytes down", "bytes_down", "bytes"},
        {"wall time", "seconds", "time"}};
    for (String[] c : candidates) {
      if (runs.stream().anyMatch(r -> r.has(c[1]))) {
        cols.add(c);
      }
    }
    StringBuilder t = new StringBuilder("<table><thead><tr><th>run</th><th>rounds</th>");
    cols.forEach(c -> t.append("<th>").append(esc(c[0])).append("</th>"));
    t.append("<th>client failures</th><th>flagged</th><th>rounds without update</th></tr></thead><tbody>");
    for (int i = 0; i < runs.size(); i++) {
      RunMetrics run = runs.get(i);
      t.append("<tr><td>").append(swatch(i, runs.size())).append(esc(run.name())).append("</td><td>")
          .append(run.rounds().size()).append("</td>");
      for (String[] c : cols) {
        t.append("<td>").append(cell(run, c[1], c[2])).append("</td>");
      }
      long failures = run.rounds().stream().mapToLong(r -> r.failures().size()).sum();
      long flagged = run.rounds().stream().mapToLong(r -> r.flagged().size()).sum();
      long noUpdate = run.rounds().stream().filter(r -> !r.failureReason().isEmpty() || r.value("round_failed") > 0).count();
      t.append("<td>").append(failures).append("</td><td>").append(flagged).append("</td><td>").append(noUpdate)
          .append("</td></tr>");
    }
    return t.append("</tbody></table>").toString();
  }

  private static String cell(RunMetrics run, String field, String kind) {
    List<RoundRow> rows = run.rounds();
    switch (kind) {
      case "last" -> {
        for (int i = rows.size() - 1; i >= 0; i--) {
          double v = rows.get(i).value(field);
          if (Double.isFinite(v)) {
            return num(v) + (i == rows.size() - 1 ? "" : " <small>(round " + rows.get(i).round() + ")</small>");
          }
        }
        return "&ndash;";
      }
      case "best+", "best-" -> {
        RoundRow best = null;
        for (RoundRow r : rows) {
          double v = r.value(field);
          if (Double.isFinite(v) && (best == null || (kind.equals("best+") ? v > best.value(field) : v < best.value(field)))) {
            best = r;
          }
        }
        return best == null ? "&ndash;" : num(best.value(field)) + " <small>(round " + best.round() + ")</small>";
      }
      case "bytes" -> {
        return bytes(rows.stream().mapToDouble(r -> r.value(field)).filter(Double::isFinite).sum());
      }
      default -> {
        return String.format(Locale.ROOT, "%.1f s", rows.stream().mapToDouble(r -> r.value(field)).filter(Double::isFinite).sum());
      }
    }
  }

  private static String failures(List<RunMetrics> runs) {
    StringBuilder t = new StringBuilder();
    boolean any = false;
    t.append("<h2>Client failures and rounds without an update</h2>\n<section class=\"card\"><table><thead><tr><th>run</th>"
        + "<th>round</th><th>what</th><th>count</th><th class=\"text\" style=\"text-align:left\">detail</th></tr></thead><tbody>");
    for (int i = 0; i < runs.size(); i++) {
      RunMetrics run = runs.get(i);
      Map<String, Integer> byCode = new TreeMap<>();
      Map<String, String> example = new TreeMap<>();
      for (RoundRow r : run.rounds()) {
        for (RoundRow.Failure f : r.failures()) {
          byCode.merge(f.code(), 1, Integer::sum);
          example.putIfAbsent(f.code(), f.client() + ": " + f.reason());
        }
      }
      for (Map.Entry<String, Integer> e : byCode.entrySet()) {
        any = true;
        t.append("<tr><td>").append(swatch(i, runs.size())).append(esc(run.name())).append("</td><td>all</td><td>")
            .append(esc(e.getKey())).append("</td><td>").append(e.getValue()).append("</td><td class=\"text\">e.g. ")
            .append(esc(abbreviate(example.get(e.getKey())))).append("</td></tr>");
      }
      int shown = 0;
      for (RoundRow r : run.rounds()) {
        if (!r.failureReason().isEmpty() && shown++ < 20) {
          any = true;
          t.append("<tr><td>").append(swatch(i, runs.size())).append(esc(run.name())).append("</td><td>").append(r.round())
              .append("</td><td>no update</td><td>&ndash;</td><td class=\"text\">").append(esc(abbreviate(r.failureReason())))
              .append("</td></tr>");
        }
      }
    }
    t.append("</tbody></table>");
    if (!any) {
      return "<h2>Client failures</h2>\n<section class=\"card\"><p class=\"empty\">No client failed or was rejected, and every"
          + " round committed an update.</p></section>\n";
    }
    return t.append("</section>\n").toString();
  }

  private static String flagged(List<RunMetrics> runs) {
    if (runs.stream().allMatch(r -> r.rounds().stream().allMatch(x -> x.flagged().isEmpty()))) {
      return "";
    }
    StringBuilder t = new StringBuilder("<h2>Most flagged clients</h2>\n<section class=\"card\"><table><thead><tr><th>run</th>"
        + "<th>client</th><th>rounds flagged</th><th>rejected</th><th>down-weighted</th><th>clipped</th>"
        + "<th class=\"text\" style=\"text-align:left\">rule</th></tr></thead><tbody>");
    for (int i = 0; i < runs.size(); i++) {
      Map<String, int[]> counts = new LinkedHashMap<>();
      Map<String, String> rules = new LinkedHashMap<>();
      for (RoundRow r : runs.get(i).rounds()) {
        for (RoundRow.Flag f : r.flagged()) {
          int[] c = counts.computeIfAbsent(f.client(), k -> new int[4]);
          c[0]++;
          c[switch (f.action()) {
            case "REJECTED" -> 1;
            case "DOWNWEIGHTED" -> 2;
            default -> 3;
          }]++;
          rules.putIfAbsent(f.client(), f.rule());
        }
      }
      int idx = i;
      counts.entrySet().stream().sorted((a, b) -> b.getValue()[0] != a.getValue()[0] ? b.getValue()[0] - a.getValue()[0]
          : a.getKey().compareTo(b.getKey())).limit(10).forEach(e -> t.append("<tr><td>").append(swatch(idx, runs.size()))
          .append(esc(runs.get(idx).name())).append("</td><td>").append(esc(e.getKey())).append("</td><td>")
          .append(e.getValue()[0]).append("</td><td>").append(e.getValue()[1]).append("</td><td>").append(e.getValue()[2])
          .append("</td><td>").append(e.getValue()[3]).append("</td><td class=\"text\">").append(esc(rules.get(e.getKey())))
          .append("</td></tr>"));
    }
    return t.append("</tbody></table></section>\n").toString();
  }

  private static final String[] PALETTE = {"#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b",
      "#e377c2", "#7f7f7f", "#bcbd22"};

  private static String swatch(int run, int runs) {
    return runs < 2 ? "" : "<span class=\"swatch\" style=\"background:" + PALETTE[run % PALETTE.length] + "\"></span>";
  }

  private static String abbreviate(String s) {
    return s.length() <= 160 ? s : s.substring(0, 157) + "...";
  }

  static String num(double v) {
    double a = Math.abs(v);
    if (a != 0 && (a < 1e-3 || a >= 1e6)) {
      return String.format(Locale.ROOT, "%.3g", v);
    }
    return String.format(Locale.ROOT, "%.4f", v).replaceAll("\\.?0+$", "");
  }

  static String bytes(double b) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    while (b >= 1024 && i < units.length - 1) {
      b /= 1024;
      i++;
    }
    return i == 0 ? String.format(Locale.ROOT, "%.0f B", b) : String.format(Locale.ROOT, "%.1f %s", b, units[i]);
  }

  static String esc(String s) {
    StringBuilder b = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '<' -> b.append("&lt;");
        case '>' -> b.append("&gt;");
        case '&' -> b.append("&amp;");
        case '"' -> b.append("&quot;");
        case '\'' -> b.append("&#39;");
        default -> b.append(c);
      }
    }
    return b.toString();
  }

  /**
   * The bundled chart library (uPlot 1.6.32): its script, safe to inline in a {@code script} element, and its
   * style sheet. Other pages (the live dashboard) reuse it from here rather than bundling a second copy.
   */
  public record ChartLibrary(String script, String css) {}

  /** The bundled uPlot, read from this module's resources. */
  public static ChartLibrary chartLibrary() {
    return new ChartLibrary(resource("uplot/uPlot.iife.min.js"), resource("uplot/uPlot.min.css"));
  }

  private static String resource(String name) {
    try (InputStream in = HtmlReport.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("missing resource dev/starling/report/" + name + " (a broken build)");
      }
      String s = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      return s.replace("</script", "<\\/script");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
