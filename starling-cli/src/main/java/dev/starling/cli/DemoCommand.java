package dev.starling.cli;

import dev.starling.core.random.RandomSource;
import dev.starling.data.BeijingAirQuality;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
import dev.starling.data.ShakespeareBySpeaker;
import dev.starling.data.Split;
import dev.starling.data.Splits;
import dev.starling.report.HtmlReport;
import dev.starling.report.MetricsLog;
import dev.starling.report.RunMetrics;
import dev.starling.run.RunSpec;
import dev.starling.run.SimulatedRun;
import dev.starling.server.History;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.Attack;
import java.io.IOException;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.TreeSet;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * {@code starling demo NAME}: federated learning on real data, one command per application. Each demo assembles its
 * runs as {@code simulate} does ({@link RunSpec} through {@link SimulatedRun}), writes one metrics file per run and an
 * HTML report of them all, and prints a comparison table.
 */
@Command(name = "demo", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Federated learning on real data: runs a demo's federation and its baselines, writes a metrics file per"
        + " run and report.html, and prints a comparison table.",
        "  hospitals    heart disease, one client per hospital, logistic regression with secure aggregation and central DP;"
            + " AUC of the federation vs each hospital alone",
        "  credit       Lending Club, one client per US state, 10% label-flipping clients; FedAvg vs the coordinate median",
        "  air-quality  Beijing PM2.5, one client per monitoring station; RMSE of the federation vs each station alone",
        "  keyboard     Tiny Shakespeare, one client per speaker, next-character LSTM (djl:lstm)",
        "  income       UCI Adult, Dirichlet label skew over 20 clients; FedProx vs FedAvg"})
final class DemoCommand implements Callable<Integer> {
  static final List<String> NAMES = List.of("hospitals", "credit", "air-quality", "keyboard", "income");

  @CommandLine.Spec
  CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "NAME", description = "hospitals | credit | air-quality | keyboard | income")
  String name;

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where the demo's data set is looked for (repeatable); then $STARLING_DATA, then ./data.")
  List<Path> dataDirs = new ArrayList<>();

  @Option(names = "--out", paramLabel = "DIR", description = "Where the metrics files and report.html go. Default: demo-NAME.")
  Path out;

  @Option(names = "--rounds", paramLabel = "R", description = "Rounds of every run. Default: the demo's own (README).")
  Integer rounds;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of every random choice. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--threads", paramLabel = "T", description = "Worker threads for local training. Default: available processors.")
  Integer threads;

  private PrintStream console;
  private Path dir;
  private final List<Path> metricFiles = new ArrayList<>();

  @Override
  public Integer call() throws Exception {
    console = System.out;
    CommandLine cl = spec.commandLine();
    if (!NAMES.contains(name)) {
      throw new CommandLine.ParameterException(cl, "unknown demo '" + name + "'; one of " + String.join(", ", NAMES));
    }
    if (rounds != null && rounds <= 0) {
      throw new CommandLine.ParameterException(cl, "--rounds must be > 0. Provided value: " + rounds);
    }
    if (threads != null && threads <= 0) {
      throw new CommandLine.ParameterException(cl, "--threads must be > 0. Provided value: " + threads);
    }
    DemoData data = switch (name) {
      case "hospitals" -> DemoData.HEART;
      case "credit" -> DemoData.LENDING;
      case "air-quality" -> DemoData.AIR;
      case "keyboard" -> DemoData.SHAKESPEARE;
      default -> DemoData.ADULT;
    };
    List<Path> dirs = searchDirs();
    DemoData.Found found = data.find(dirs).orElseThrow(() -> new CommandLine.ParameterException(cl, data.missing(name, dirs)));
    dir = out != null ? out : Path.of("demo-" + name);
    RunChecks.requireWritableDirectory(cl, "--out", dir);
    console.printf(Locale.ROOT, "demo      %s: %s%n", name, found.describe());
    Comparison c = switch (name) {
      case "hospitals" -> hospitals(found);
      case "credit" -> credit(found);
      case "air-quality" -> airQuality(found);
      case "keyboard" -> keyboard(found);
      default -> income(found);
    };
    console.println();
    console.println(c.title());
    printTable(console, c.header(), c.rows());
    for (String note : c.notes()) {
      console.println(note);
    }
    Path report = writeReport(c);
    console.printf(Locale.ROOT, "metrics   %s/*.jsonl (%d runs)%n", dir, metricFiles.size());
    console.printf(Locale.ROOT, "report    %s%n", report);
    return 0;
  }

  /** A demo's result: the comparison table (first column the run's name) and notes printed under it. */
  record Comparison(String title, List<String> header, List<List<String>> rows, List<String> notes) {}

  // ---------------------------------------------------------------------------------------------------- the demos

  private Comparison hospitals(DemoData.Found found) throws IOException {
    Dataset all = DemoData.heart(found);
    Split s = Splits.stratifiedHoldout(all, 0.25, RandomSource.seeded(seed));
    int r = rounds != null ? rounds : 20;
    // four hospitals: a secure aggregation threshold above 4/2 needs all 3 other holders, so no drop-out is tolerated
    RunSpec.Privacy privacy = RunSpec.Privacy.none().withDp(new RunSpec.Dp.Central(0.2, 1.5, false))
        .withSecAgg(Optional.of(new RunSpec.SecAgg(0, 8.0))).withSeededNoise(true);
    RunSpec fed = base("logreg", "fedavg", r, new RunSpec.Training(1, 16, 0.1, 0, 0), 1.0, 4)
        .withPopulation(RunSpec.Population.of(4, "by:hospital")).withPrivacy(privacy);
    console.printf(Locale.ROOT, "data      %d patients, %d features; stratified 25%% test set of all hospitals: %d train / %d test%n",
        all.size(), all.numFeatures(), s.train().size(), s.test().size());
    console.println("federated logistic regression, 4 hospitals, secure aggregation (dropout tolerance 0.25),"
        + " central DP (clip 0.2, noise multiplier 1.5, delta 1e-5), " + r + " rounds");
    List<List<String>> rows = new ArrayList<>();
    History h = run("federation", fed, s.train(), s.test(), true);
    rows.add(List.of("federation (secagg + central DP)", "all 4", f4(last(h, "test_auc")), f4(last(h, "test_accuracy")),
        f2(last(h, "epsilon"))));
    for (Map.Entry<String, Dataset> e : byKey(s.train()).entrySet()) {
      History a = run("alone-" + e.getKey(), alone(fed), e.getValue(), s.test(), true);
      rows.add(List.of(e.getKey() + " alone", Integer.toString(e.getValue().size()), f4(last(a, "test_auc")),
          f4(last(a, "test_accuracy")), "-"));
    }
    return new Comparison("Heart disease: AUC on the held-out patients of all four hospitals",
        List.of("run", "train rows", "test AUC", "test accuracy", "epsilon"), rows,
        List.of("each hospital alone: the same model and budget trained on its own rows only, no privacy"));
  }

  private Comparison credit(DemoData.Found found) throws IOException {
    Dataset all = DemoData.lending(found);
    Split s = Splits.stratifiedHoldout(all, 0.2, RandomSource.seeded(seed));
    int states = byKey(s.train()).size();
    int r = rounds != null ? rounds : 30;
    RunSpec clean = base("logreg", "fedavg", r, new RunSpec.Training(5, 32, 0.05, 0, 0), 0.5, 10)
        .withPopulation(RunSpec.Population.of(states, "by:addr_state"));
    Adversity flip = new Adversity(new Attack.LabelFlip(), 0.1, 0, false);
    RunSpec attacked = clean.withPopulation(new RunSpec.Population(states, "by:addr_state", 0, flip));
    console.printf(Locale.ROOT, "data      %d loans (%.1f%% bad), %d features; stratified 20%% test set: %d train / %d test%n",
        all.size(), 100.0 * all.classCounts()[0] / all.size(), all.numFeatures(), s.train().size(), s.test().size());
    console.printf(Locale.ROOT, "logistic regression, %d clients (one per state), half of them per round, %d rounds;"
        + " 5 local epochs; 10%% of the clients flip their labels%n", states, r);
    List<List<String>> rows = new ArrayList<>();
    String[][] runs = {{"fedavg-clean", "fedavg", "FedAvg, no attack"}, {"fedavg-attacked", "fedavg", "FedAvg, 10% label flip"},
        {"median-attacked", "median", "coordinate median, 10% label flip"},
        {"multikrum-attacked", "multikrum:5", "Multi-Krum (f = 5), 10% label flip"}};
    for (String[] x : runs) {
      RunSpec sp = (x[0].endsWith("clean") ? clean : attacked).withStrategy(x[1]);
      History h = run(x[0], sp, s.train(), s.test(), true);
      double sel = sum(h, "malicious_selected");
      double flagged = sum(h, "malicious_flagged");
      rows.add(List.of(x[2], f4(last(h, "test_auc")), f4(last(h, "test_accuracy")),
          sel > 0 ? String.format(Locale.ROOT, "%.0f of %.0f", flagged, sel) : "-",
          sel > 0 ? String.format(Locale.ROOT, "%.0f", sum(h, "honest_flagged")) : "-"));
    }
    return new Comparison("Credit risk: a robust rule against label-flipping states",
        List.of("run", "test AUC", "test accuracy", "attacker updates flagged", "honest updates flagged"), rows,
        List.of("accuracy: 94.8% of the loans are good, so AUC is the measure that tells the rules apart;"
            + " the attackers are 10% of the states but hold only the rows of their states (see 'attackers' above)"));
  }

  private Comparison airQuality(DemoData.Found found) throws IOException {
    LoadedData d = BeijingAirQuality.load(found.folder(), BeijingAirQuality.Options.lastYear());
    int r = rounds != null ? rounds : 10;
    RunSpec fed = base("mlp:32", "fedavg", r, new RunSpec.Training(1, 64, 0.01, 0.9, 0), 1.0, 12)
        .withPopulation(RunSpec.Population.of(12, "by:station"));
    console.println("data      " + d.description());
    console.printf(Locale.ROOT, "mlp:32 regression of PM2.5, 12 clients (one per station), every station every round, %d rounds%n", r);
    List<List<String>> rows = new ArrayList<>();
    History h = run("federation", fed, d.train(), d.test(), true);
    rows.add(List.of("federation", "all 12", f2(last(h, "test_rmse")), f2(last(h, "test_mae")), f4(last(h, "test_r2"))));
    for (Map.Entry<String, Dataset> e : byKey(d.train()).entrySet()) {
      History a = run("alone-" + e.getKey().toLowerCase(Locale.ROOT), alone(fed), e.getValue(), d.test(), true);
      rows.add(List.of(e.getKey() + " alone", Integer.toString(e.getValue().size()), f2(last(a, "test_rmse")),
          f2(last(a, "test_mae")), f4(last(a, "test_r2"))));
    }
    return new Comparison("Beijing air quality: PM2.5 (ug/m3) in the last year, all 12 stations",
        List.of("run", "train rows", "test RMSE", "test MAE", "test R2"), rows,
        List.of("each station alone: the same model and budget trained on its own rows only"));
  }

  private Comparison keyboard(DemoData.Found found) throws IOException {
    ShakespeareBySpeaker.Options o = new ShakespeareBySpeaker.Options(40, 64, 16, 2500, 0.2);
    LoadedData d;
    if (found.file().equals("input.txt")) {
      String text = Files.readString(found.folder().resolve(found.file()), StandardCharsets.UTF_8);
      d = ShakespeareBySpeaker.load(new java.io.ByteArrayInputStream(DemoData.speechesTsv(text)), found.describe(), o);
    } else {
      d = ShakespeareBySpeaker.load(found.folder().resolve(found.file()), o);
    }
    int r = rounds != null ? rounds : 8;
    RunSpec fed = base("djl:lstm:8,128,1", "fedavg", r, new RunSpec.Training(1, 16, 0.8, 0, 0), 0.5, 8)
        .withPopulation(RunSpec.Population.of(16, "by:speaker"));
    console.println("data      " + d.description());
    console.printf(Locale.ROOT, "djl:lstm:8,128,1 (PyTorch via DJL), 16 clients (the largest speakers, first 2,500 characters"
        + " each), 8 per round, %d rounds%n", r);
    History h = run("federation", fed, d.train(), d.test(), false);
    int[] counts = d.train().classCounts();
    int top = 0;
    for (int i = 1; i < counts.length; i++) {
      top = counts[i] > counts[top] ? i : top;
    }
    int hits = 0;
    for (int i = 0; i < d.test().size(); i++) {
      hits += d.test().label(i) == top ? 1 : 0;
    }
    List<List<String>> rows = List.of(
        List.of("federation (LSTM)", f4(last(h, "test_accuracy")), f2(last(h, "test_perplexity"))),
        List.of("most frequent character ('" + d.train().classNames().get(top) + "')",
            f4((double) hits / d.test().size()), "-"));
    return new Comparison("Keyboard: next character of each speaker's held-out last 20%",
        List.of("run", "test accuracy", "test perplexity"), rows, List.of());
  }

  private Comparison income(DemoData.Found found) throws IOException {
    Dataset all = DemoData.adult(found);
    Split s = Splits.stratifiedHoldout(all, 0.2, RandomSource.seeded(seed));
    int r = rounds != null ? rounds : 20;
    RunSpec fedavg = base("mlp:32", "fedavg", r, new RunSpec.Training(5, 32, 0.05, 0, 0), 0.5, 10)
        .withPopulation(RunSpec.Population.of(20, "dirichlet:0.3"));
    console.printf(Locale.ROOT, "data      %d adults (%.1f%% earn >50K), %d features; stratified 20%% test set: %d train / %d test%n",
        all.size(), 100.0 * all.classCounts()[1] / all.size(), all.numFeatures(), s.train().size(), s.test().size());
    console.printf(Locale.ROOT, "mlp:32, 20 clients with Dirichlet(0.3) label skew, 10 per round, 5 local epochs, %d rounds%n", r);
    List<List<String>> rows = new ArrayList<>();
    for (String[] x : new String[][] {{"fedavg", "fedavg", "FedAvg"}, {"fedprox", "fedprox:0.1", "FedProx (mu 0.1)"}}) {
      History h = run(x[0], fedavg.withStrategy(x[1]), s.train(), s.test(), true);
      rows.add(List.of(x[2], f4(last(h, "test_accuracy")), f4(last(h, "test_auc")), f4(BenchRun.tailMean(h, "test_accuracy", 5)),
          f4(minOver(h, "test_accuracy", Math.max(1, r / 2)))));
    }
    return new Comparison("Income: FedProx vs FedAvg under label skew",
        List.of("run", "test accuracy", "test AUC", "accuracy, mean of last 5", "accuracy, worst of 2nd half"), rows,
        List.of("worst of 2nd half: the lowest test accuracy in the second half of the rounds (oscillation under drift)"));
  }

  // ---------------------------------------------------------------------------------------------------- helpers

  private RunSpec base(String model, String strategy, int r, RunSpec.Training training, double fraction, int minClients) {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(r).withFraction(fraction).withMinClients(minClients)
        .withTargetAccuracy(OptionalDouble.empty());
    return RunSpec.defaults().withModel(model).withStrategy(strategy).withSeed(seed).withTraining(training).withLoop(loop);
  }

  /** The same run for one party alone: one client, every round, no privacy, no adversary. */
  private static RunSpec alone(RunSpec fed) {
    return fed.withPopulation(RunSpec.Population.of(1, "iid")).withPrivacy(RunSpec.Privacy.none())
        .withLoop(fed.loop().withFraction(1.0).withMinClients(1)).withStrategy("fedavg");
  }

  /** Runs one assembled simulation, writing {@code DIR/NAME.jsonl}. */
  private History run(String runName, RunSpec s, Dataset train, Dataset test, boolean standardize) throws IOException {
    Path file = dir.resolve(runName + ".jsonl");
    long t0 = System.nanoTime();
    int workers = threads != null ? threads : Runtime.getRuntime().availableProcessors();
    History h;
    try (SimulatedRun sim = SimulatedRun.create(s, train, test, workers, standardize, UnaryOperator.identity());
         MetricsWriter metrics = new MetricsWriter(file)) {
      var bad = sim.simulation().maliciousClients();
      if (!bad.isEmpty()) {
        long rows = 0;
        long total = 0;
        for (var c : sim.simulation().clients()) {
          total += c.data().size();
          rows += bad.contains(c.id()) ? c.data().size() : 0;
        }
        console.printf(Locale.ROOT, "attackers %d of %d clients (%s), %.1f%% of the training rows%n", bad.size(),
            sim.simulation().clients().size(), bad.stream().map(Object::toString).sorted().toList(), 100.0 * rows / total);
      }
      h = sim.run(metrics).history();
    }
    metricFiles.add(file);
    RunChecks.everyRoundFailed(h).ifPresent(m -> {
      throw new IllegalStateException("demo run " + runName + ": " + m);
    });
    console.printf(Locale.ROOT, "run       %-22s %3d rounds %7.1f s  -> %s%n", runName, h.rounds().size(),
        (System.nanoTime() - t0) / 1e9, file);
    return h;
  }

  /** The rows of each key value, in key order. */
  private static Map<String, Dataset> byKey(Dataset d) {
    String[] keys = d.keys().orElseThrow(() -> new IllegalStateException(d.name() + " has no partition key"));
    Map<String, Dataset> out = new LinkedHashMap<>();
    for (String k : new TreeSet<>(Arrays.asList(keys))) {
      int[] rows = java.util.stream.IntStream.range(0, keys.length).filter(i -> keys[i].equals(k)).toArray();
      out.put(k, d.subset(rows));
    }
    return out;
  }

  private static double last(History h, String metric) {
    List<RoundRecord> r = h.rounds();
    for (int i = r.size() - 1; i >= 0; i--) {
      double v = r.get(i).metric(metric);
      if (!Double.isNaN(v)) {
        return v;
      }
    }
    return Double.NaN;
  }

  private static double sum(History h, String metric) {
    return h.rounds().stream().mapToDouble(r -> r.metric(metric)).filter(v -> !Double.isNaN(v)).sum();
  }

  private static double minOver(History h, String metric, int lastK) {
    List<RoundRecord> r = h.rounds();
    double m = Double.NaN;
    for (int i = Math.max(0, r.size() - lastK); i < r.size(); i++) {
      double v = r.get(i).metric(metric);
      m = Double.isNaN(m) || v < m ? v : m;
    }
    return m;
  }

  private static String f4(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.4f", v);
  }

  private static String f2(double v) {
    return Double.isNaN(v) ? "-" : String.format(Locale.ROOT, "%.2f", v);
  }

  private List<Path> searchDirs() {
    List<Path> dirs = new ArrayList<>(dataDirs);
    String env = System.getenv("STARLING_DATA");
    if (env != null && !env.isBlank()) {
      dirs.add(Path.of(env));
    }
    if (Files.isDirectory(Path.of("data"))) {
      dirs.add(Path.of("data"));
    }
    return dirs;
  }

  static void printTable(PrintStream out, List<String> header, List<List<String>> rows) {
    int[] w = new int[header.size()];
    for (int c = 0; c < w.length; c++) {
      w[c] = header.get(c).length();
      for (List<String> r : rows) {
        w[c] = Math.max(w[c], r.get(c).length());
      }
    }
    StringBuilder sep = new StringBuilder();
    for (int c = 0; c < w.length; c++) {
      sep.append(c == 0 ? "" : "-+-").append("-".repeat(w[c]));
    }
    out.println(line(header, w));
    out.println(sep);
    rows.forEach(r -> out.println(line(r, w)));
  }

  private static String line(List<String> cells, int[] w) {
    StringBuilder b = new StringBuilder();
    for (int c = 0; c < w.length; c++) {
      String v = cells.get(c);
      b.append(c == 0 ? "" : " | ").append(c == 0 ? v + " ".repeat(w[c] - v.length()) : " ".repeat(w[c] - v.length()) + v);
    }
    return b.toString().stripTrailing();
  }

  private Path writeReport(Comparison c) throws IOException {
    List<RunMetrics> runs = new ArrayList<>();
    for (Path f : metricFiles) {
      try (Reader r = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        String stem = f.getFileName().toString().replaceFirst("\\.jsonl$", "");
        runs.add(MetricsLog.read(stem, f.getFileName().toString(), r));
      }
    }
    String html = HtmlReport.render("Starling demo " + name + ": " + c.title(), runs,
        List.of(new HtmlReport.Table(c.title(), c.header(), c.rows())));
    Path report = dir.resolve("report.html").toAbsolutePath();
    Path tmp = report.resolveSibling("report.html.tmp");
    Files.writeString(tmp, html, StandardCharsets.UTF_8);
    Files.move(tmp, report, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    return dir.resolve("report.html");
  }
}
