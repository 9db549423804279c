package dev.starling.cli;

import dev.starling.core.learner.TrainConfig;
import dev.starling.data.Dataset;
import dev.starling.data.BeijingAirQuality;
import dev.starling.data.LoadedData;
import dev.starling.data.ShakespeareBySpeaker;
import dev.starling.core.metrics.Metrics;
import dev.starling.learners.LearnerContext;
import dev.starling.learners.LearnerFactory;
import dev.starling.learners.Learners;
import dev.starling.run.RunSpec;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.djl.DjlData;
import dev.starling.djl.DjlDatasets;
import dev.starling.djl.DjlLearner;
import dev.starling.djl.DjlModel;
import dev.starling.djl.DjlModels;
import dev.starling.run.SimulatedRun;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.simulation.adversary.Adversity;
import java.io.PrintStream;
import java.util.Locale;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import java.util.function.UnaryOperator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code starling bench deep}: the deep models (starling-djl) on a small budget: (1) the FedAvg CNN against an MLP,
 * federated; (2) the CNN's local-training throughput beside PyTorch itself (python3-torch, when installed); (3) the
 * keyboard scenario, a character LSTM on Shakespeare by speaker, federated against central training at equal
 * compute; (4) PM2.5 regression on Beijing's stations: FedAvg and FedProx against central training and each station
 * alone. (3) and (4) need their data sets under a data directory (they are not in the repository); without them the
 * row says so and the bench goes on.
 */
@Command(name = "deep", mixinStandardHelpOptions = true,
    description = "Deep models (djl:): CNN vs MLP federated, CNN local-training samples/s; prints a table.")
final class DeepBench implements Callable<Integer> {
  @Option(names = "--rounds", paramLabel = "R", description = "Rounds for (1). Default: 50, the FedAvg paper's budget (2 with --quick).")
  Integer rounds;

  @Option(names = "--target", paramLabel = "A", defaultValue = "0.88",
      description = "Test accuracy whose first round (1) reports. Default: ${DEFAULT-VALUE}.")
  double target;

  @Option(names = "--only", paramLabel = "ROWS", split = ",",
      description = "Run only these rows, e.g. 3,4 (1 CNN vs MLP, 2 throughput, 3 Shakespeare, 4 PM2.5). Default: all.")
  java.util.Set<Integer> only = new java.util.TreeSet<>();

  @Mixin
  BenchOptions bench = new BenchOptions();

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    int r = rounds != null ? rounds : bench.quick ? 2 : 50;
    for (int row : only) {
      if (row < 1 || row > 4) {
        throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
            "--only: rows are 1 to 4. Provided value: " + row);
      }
    }
    if (wants(1) || wants(2)) {
      LoadedData data;
      String name;
      try {
        data = bench.load("fashion-mnist");
        name = "fashion-mnist";
      } catch (RuntimeException | java.io.IOException e) {
        data = bench.load("mnist");
        name = "mnist (mnist-10k)";
      }
      out.printf(Locale.ROOT, "bench deep: %s, %d train / %d test, %d threads, seed %d, PyTorch via DJL%n", name,
          data.train().size(), data.test().size(), bench.threads(), bench.seed);
      if (wants(1)) {
        federated(out, data, r);
      }
      if (wants(2)) {
        throughput(out, data.train());
      }
    } else {
      out.printf(Locale.ROOT, "bench deep: %d threads, seed %d, PyTorch via DJL%n", bench.threads(), bench.seed);
    }
    if (wants(3)) {
      shakespeare(out);
    }
    if (wants(4)) {
      airQuality(out);
    }
    return 0;
  }

  private boolean wants(int row) {
    return only.isEmpty() || only.contains(row);
  }

  private void federated(PrintStream out, LoadedData data, int r) {
    int epochs = bench.quick ? 1 : 5;
    out.printf(Locale.ROOT, "(1) FedAvg, 100 clients IID, C 0.1, E %d, B 10, lr 0.05, %d rounds%n", epochs, r);
    out.printf(Locale.ROOT, "    %-18s | %12s | %11s | %-14s | %8s%n", "model", "parameters", "final acc",
        "rounds to " + target, "seconds");
    for (String model : new String[] {"djl:cnn", "mlp:200,200"}) {
      long t0 = System.nanoTime();
      var spec = BenchRun.of(model, "iid", 100, 0.1, epochs, 10, 0.05, "fedavg", Adversity.none(), r, Double.NaN,
          bench.seed).spec();
      History h;
      long params;
      try (SimulatedRun sim = SimulatedRun.create(spec, data.train(), data.test(), bench.threads(), false,
          UnaryOperator.identity())) {
        params = sim.simulation().initialParameters().size();
        h = sim.run(RoundListener.NONE).history();
      }
      OptionalInt hit = h.firstRoundReaching("test_accuracy", target);
      double last = h.rounds().get(h.rounds().size() - 1).metric("test_accuracy");
      out.printf(Locale.ROOT, "    %-18s | %,12d | %11.4f | %-14s | %8.1f%n", model, params, last,
          hit.isPresent() ? Integer.toString(hit.getAsInt()) : "> " + r, (System.nanoTime() - t0) / 1e9);
    }
  }

  private void throughput(PrintStream out, Dataset train) {
    int n = Math.min(train.size(), bench.quick ? 320 : 1280);
    DjlModel cnn = DjlModels.parse("djl:cnn");
    DjlData all = DjlDatasets.toDjlData(cnn, train);
    int e = all.exampleSize();
    DjlData data = DjlData.classification("first " + n, java.util.Arrays.copyOf(all.features(), n * e),
        java.util.Arrays.copyOf(all.labels(), n), all.numOutputs(), all.exampleShape());
    int[] batches = {10, 64};
    out.printf(Locale.ROOT, "(2) djl:cnn local training, 1 intra-op thread, %d examples, one epoch after a warm-up%n", n);
    double[] djl = new double[batches.length];
    for (int i = 0; i < batches.length; i++) {
      try (DjlLearner l = DjlLearner.create(cnn, data, bench.seed, 1)) {
        TrainConfig c = TrainConfig.builder().localEpochs(1).batchSize(batches[i]).learningRate(0.05).seed(1).build();
        l.fit(l.parameters(), c);
        long t0 = System.nanoTime();
        l.fit(l.parameters(), c);
        djl[i] = n / ((System.nanoTime() - t0) / 1e9);
      }
    }
    TorchBaseline torch = TorchBaseline.run(n, batches);
    out.printf(Locale.ROOT, "    %-6s | %14s | %-28s | %s%n", "batch", "DJL samples/s", torch.header(), "DJL / PyTorch");
    for (int i = 0; i < batches.length; i++) {
      double py = torch.samplesPerSecond(batches[i]);
      out.printf(Locale.ROOT, "    %-6d | %14.0f | %28s | %s%n", batches[i], djl[i],
          Double.isNaN(py) ? torch.why() : String.format(Locale.ROOT, "%.0f", py),
          Double.isNaN(py) ? "n/a" : String.format(Locale.ROOT, "%.2fx", djl[i] / py));
    }
  }

  /** (3): FedAvg with a character model on speakers' text against one client holding all of it, equal compute. */
  private void shakespeare(PrintStream out) {
    int speakers = bench.quick ? 6 : 16;
    int chars = bench.quick ? 1500 : 4000;
    int r = bench.quick ? 2 : 6;
    double fraction = 0.5;
    String model = bench.quick ? "djl:lstm:8,64,1" : "djl:lstm";
    LoadedData data;
    try {
      data = ShakespeareBySpeaker.load(locate("shakespeare", "tiny-shakespeare", ShakespeareBySpeaker.FILE)
          .resolve(ShakespeareBySpeaker.FILE), new ShakespeareBySpeaker.Options(80, 64, speakers, chars, 0.2));
    } catch (java.io.IOException | RuntimeException e) {
      out.println("(3) Shakespeare by speaker: skipped, " + e.getMessage());
      return;
    }
    int central = (int) Math.ceil(r * fraction);
    out.printf(Locale.ROOT, "(3) keyboard: %s, %d largest speakers (first %,d characters each), %,d train / %,d test "
        + "rows, E 1, B 10, lr 1.0; central = one client with every row, %d rounds (the same examples seen)%n", model,
        speakers, chars, data.train().size(), data.test().size(), central);
    out.printf(Locale.ROOT, "    %-26s | %12s | %10s | %10s | %8s%n", "run", "parameters", "test acc", "perplexity",
        "seconds");
    row(out, "FedAvg by speaker, C " + fraction, BenchRun.of(model, "by:speaker", speakers, fraction, 1, 10, 1.0, "fedavg",
        Adversity.none(), r, Double.NaN, bench.seed), data, Metrics.PERPLEXITY);
    row(out, "central", BenchRun.of(model, "iid", 1, 1.0, 1, 10, 1.0, "fedavg", Adversity.none(), central, Double.NaN,
        bench.seed), data, Metrics.PERPLEXITY);
  }

  /** (4): PM2.5 by station: FedAvg, FedProx, central, and every station alone; RMSE in micrograms per cubic metre. */
  private void airQuality(PrintStream out) {
    int stride = bench.quick ? 24 : 4;
    int r = bench.quick ? 3 : 20;
    String model = "djl:mlp:64,32";
    LoadedData data;
    try {
      data = BeijingAirQuality.load(locate("beijing-air", "beijing-air-quality",
          "PRSA_Data_Aotizhongxin_20130301-20170228.csv.gz"), new BeijingAirQuality.Options(2016, 3, stride, 0));
    } catch (java.io.IOException | RuntimeException e) {
      out.println("(4) Beijing PM2.5 by station: skipped, " + e.getMessage());
      return;
    }
    String[] keys = data.train().keys().orElseThrow();
    int stations = (int) java.util.Arrays.stream(keys).distinct().count();
    out.printf(Locale.ROOT, "(4) air quality: %s, %d stations (one client each), every %d-th hour, %,d train / %,d test "
        + "rows (test from March 2016), E 1, B 32, lr 0.01, momentum 0.9, %d rounds%n", model, stations, stride,
        data.train().size(), data.test().size(), r);
    out.printf(Locale.ROOT, "    %-26s | %12s | %10s | %22s | %8s%n", "run", "parameters", "test rmse",
        "mean station rmse", "seconds");
    RunSpec.Training training = new RunSpec.Training(1, 32, 0.01, 0.9, 0);
    for (String strategy : new String[] {"fedavg", "fedprox:0.01"}) {
      row(out, strategy + " by station", BenchRun.of(model, "by:station", stations, 1.0, 1, 32, 0.01, strategy,
          Adversity.none(), r, Double.NaN, bench.seed).with(s -> s.withTraining(training)), data, Metrics.RMSE);
    }
    row(out, "central", BenchRun.of(model, "iid", 1, 1.0, 1, 32, 0.01, "fedavg", Adversity.none(), r, Double.NaN,
        bench.seed).with(s -> s.withTraining(training)), data, Metrics.RMSE);
    // Each station alone: its own rows, its own standardisation, its own test months.
    long t0 = System.nanoTime();
    double sum = 0;
    double worst = 0;
    double best = Double.POSITIVE_INFINITY;
    java.util.Map<String, int[]> trainRows = rowsByKey(data.train());
    java.util.Map<String, int[]> testRows = rowsByKey(data.test());
    for (var e : trainRows.entrySet()) {
      Dataset tr = data.train().subset(e.getValue());
      Dataset te = data.test().subset(testRows.get(e.getKey()));
      var spec = BenchRun.of(model, "iid", 1, 1.0, 1, 32, 0.01, "fedavg", Adversity.none(), r, Double.NaN, bench.seed)
          .with(s -> s.withTraining(training)).spec();
      try (SimulatedRun sim = SimulatedRun.create(spec, tr, te, bench.threads(), true, UnaryOperator.identity())) {
        double rmse = sim.run(RoundListener.NONE).history().last().orElseThrow().metric("test_" + Metrics.RMSE);
        sum += rmse;
        worst = Math.max(worst, rmse);
        best = Math.min(best, rmse);
      }
    }
    out.printf(Locale.ROOT, "    %-26s | %12s | %10s | %22s | %8.1f%n", "each station alone", "", "",
        String.format(Locale.ROOT, "%.2f (%.2f..%.2f)", sum / trainRows.size(), best, worst),
        (System.nanoTime() - t0) / 1e9);
  }

  /** One federated run: final value of {@code metric} on the whole test set and, for keyed data, per key. */
  private void row(PrintStream out, String name, BenchRun run, LoadedData data, String metric) {
    long t0 = System.nanoTime();
    boolean regression = metric.equals(Metrics.RMSE);
    try (SimulatedRun sim = SimulatedRun.create(run.spec(), data.train(), data.test(), bench.threads(), regression,
        UnaryOperator.identity())) {
      long params = sim.simulation().initialParameters().size();
      RoundLoop.Result result = sim.run(RoundListener.NONE);
      RoundRecord last = result.history().last().orElseThrow();
      if (regression) {
        Dataset test = sim.simulation().testSet();
        LearnerFactory factory = Learners.parse(run.spec().model());
        double sum = 0;
        java.util.Map<String, int[]> byKey = rowsByKey(test);
        for (int[] rows : byKey.values()) {
          Dataset part = test.subset(rows);
          var learner = factory.create(LearnerContext.of(run.spec().model(), part, bench.seed), part);
          try {
            sum += learner.evaluate(result.global()).metrics().getOrNaN(Metrics.RMSE);
          } finally {
            if (learner instanceof AutoCloseable c) {
              try {
                c.close();
              } catch (Exception ignored) {
                // freeing native memory of an evaluation learner; nothing to recover
              }
            }
          }
        }
        out.printf(Locale.ROOT, "    %-26s | %,12d | %10.2f | %22.2f | %8.1f%n", name, params,
            last.metric("test_" + Metrics.RMSE), sum / byKey.size(), (System.nanoTime() - t0) / 1e9);
      } else {
        out.printf(Locale.ROOT, "    %-26s | %,12d | %10.4f | %10.2f | %8.1f%n", name, params,
            last.metric("test_" + Metrics.ACCURACY), last.metric("test_" + metric), (System.nanoTime() - t0) / 1e9);
      }
    }
  }

  private static java.util.Map<String, int[]> rowsByKey(Dataset d) {
    String[] keys = d.keys().orElseThrow(() -> new IllegalStateException(d.name() + " has no partition keys"));
    java.util.Map<String, java.util.List<Integer>> m = new java.util.TreeMap<>();
    for (int i = 0; i < keys.length; i++) {
      m.computeIfAbsent(keys[i], k -> new java.util.ArrayList<>()).add(i);
    }
    java.util.Map<String, int[]> out = new java.util.TreeMap<>();
    m.forEach((k, v) -> out.put(k, v.stream().mapToInt(Integer::intValue).toArray()));
    return out;
  }

  private java.nio.file.Path locate(String name, String folder, String file) throws java.io.FileNotFoundException {
    bench.data.fallbackDirs = BenchOptions.BENCH_DATA_DIRS;
    return bench.data.locate(name, folder, file);
  }

}
