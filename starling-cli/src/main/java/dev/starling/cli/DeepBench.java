package dev.starling.cli;

import dev.starling.core.learner.TrainConfig;
import dev.starling.data.Dataset;
import dev.starling.data.LoadedData;
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
 * federated; (2) the CNN's local-training throughput; (3) and (4), the Shakespeare and PM2.5 scenarios, are not
 * measured yet.
 */
@Command(name = "deep", mixinStandardHelpOptions = true,
    description = "Deep models (djl:): CNN vs MLP federated, CNN local-training samples/s; prints a table.")
final class DeepBench implements Callable<Integer> {
  @Option(names = "--rounds", paramLabel = "R", description = "Rounds for (1). Default: 10 (2 with --quick).")
  Integer rounds;

  @Option(names = "--target", paramLabel = "A", defaultValue = "0.88",
      description = "Test accuracy whose first round (1) reports. Default: ${DEFAULT-VALUE}.")
  double target;

  @Mixin
  BenchOptions bench = new BenchOptions();

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    int r = rounds != null ? rounds : bench.quick ? 2 : 10;
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
    federated(out, data, r);
    throughput(out, data.train());
    out.println("(3) Shakespeare next-character LSTM by speaker: not measured by this version of bench deep");
    out.println("(4) Beijing PM2.5 by station (FedAvg, FedProx, central, alone): not measured by this version of bench deep");
    return 0;
  }

  private void federated(PrintStream out, LoadedData data, int r) {
    int epochs = bench.quick ? 1 : 2;
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
    out.printf(Locale.ROOT, "(2) djl:cnn local training, 1 intra-op thread, %d examples, one epoch after a warm-up%n", n);
    out.printf(Locale.ROOT, "    %-6s | %14s | %s%n", "batch", "DJL samples/s", "PyTorch (python3-torch) samples/s");
    String python = pythonTorch();
    for (int batch : new int[] {10, 64}) {
      try (DjlLearner l = DjlLearner.create(cnn, data, bench.seed, 1)) {
        TrainConfig c = TrainConfig.builder().localEpochs(1).batchSize(batch).learningRate(0.05).seed(1).build();
        l.fit(l.parameters(), c);
        long t0 = System.nanoTime();
        l.fit(l.parameters(), c);
        double s = (System.nanoTime() - t0) / 1e9;
        out.printf(Locale.ROOT, "    %-6d | %14.0f | %s%n", batch, n / s, python);
      }
    }
  }

  private static String pythonTorch() {
    try {
      Process p = new ProcessBuilder("python3", "-c", "import torch").redirectErrorStream(true).start();
      p.getInputStream().readAllBytes();
      return p.waitFor() == 0 ? "n/a: python3-torch is installed, but the baseline script is not written yet"
          : "n/a: python3-torch not installed";
    } catch (java.io.IOException e) {
      return "n/a: python3-torch not installed (no python3)";
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "n/a: interrupted";
    }
  }
}
