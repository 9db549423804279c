package dev.starling.cli;

import dev.starling.report.HtmlReport;
import dev.starling.report.MetricsFormatException;
import dev.starling.report.MetricsLog;
import dev.starling.report.RunMetrics;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code starling report}: one self-contained HTML page of plots and tables from {@code --metrics-out} files. */
@Command(name = "report", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Writes one self-contained HTML file (opens without a network) with per-round plots of the metrics",
        "files' accuracy, loss, bytes, epsilon, clients and flagged clients, and a summary table; --compare overlays runs."})
final class ReportCommand implements Callable<Integer> {
  @Parameters(index = "0", paramLabel = "METRICS.jsonl", description = "A metrics file written by --metrics-out.")
  Path metrics;

  @Option(names = "--compare", paramLabel = "OTHER.jsonl", arity = "1..*", description = "Further metrics files to overlay.")
  List<Path> compare = new ArrayList<>();

  @Option(names = "--out", paramLabel = "FILE", required = true, description = "The HTML file to write.")
  Path out;

  @Option(names = "--title", paramLabel = "TEXT", description = "Page title. Default: 'Starling report: ' and the run names.")
  String title;

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws IOException {
    List<Path> files = new ArrayList<>();
    files.add(metrics);
    files.addAll(compare);
    RunChecks.requireWritableFile(spec.commandLine(), "--out", out);
    Map<String, Integer> stems = new HashMap<>();
    files.forEach(f -> stems.merge(stem(f), 1, Integer::sum));
    List<RunMetrics> runs = new ArrayList<>();
    for (Path f : files) {
      if (!Files.isRegularFile(f) || !Files.isReadable(f)) {
        throw new CommandLine.ParameterException(spec.commandLine(), f + ": no such readable metrics file");
      }
      String name = stems.get(stem(f)) > 1 ? f.toString() : stem(f);
      try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        runs.add(MetricsLog.read(name, f.toString(), r));
      } catch (MetricsFormatException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), e.getMessage());
      }
    }
    String t = title != null ? title : "Starling report: " + String.join(" vs ", runs.stream().map(RunMetrics::name).toList());
    String html = HtmlReport.render(t, runs);
    Path abs = out.toAbsolutePath();
    Path tmp = abs.resolveSibling(abs.getFileName() + ".tmp");
    Files.writeString(tmp, html, StandardCharsets.UTF_8);
    Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    System.out.printf("report    %s (%d run%s, %,d bytes)%n", out, runs.size(), runs.size() == 1 ? "" : "s", html.length());
    return 0;
  }

  private static String stem(Path f) {
    String n = f.getFileName().toString();
    for (String ext : new String[] {".jsonl", ".json", ".ndjson"}) {
      if (n.endsWith(ext) && n.length() > ext.length()) {
        return n.substring(0, n.length() - ext.length());
      }
    }
    return n;
  }
}
