package dev.starling.cli;

import dev.starling.run.RunSpec;
import java.util.Optional;
import java.util.OptionalDouble;
import dev.starling.compression.Codec;
import dev.starling.compression.Codecs;
import dev.starling.core.random.RandomSource;
import dev.starling.data.LoadedData;
import dev.starling.server.History;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.Communication;
import dev.starling.simulation.adversary.Adversity;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code starling bench compression}: accuracy against uplink bytes for the codecs and sub-models on
 * mnist-10k, and codec throughput. {@code --quick} shrinks every budget for smoke tests.
 */
@Command(name = "compression", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Accuracy and total uplink bytes on mnist-10k for no compression, fp16, int8, top-1%% with and",
        "without error feedback, Federated Dropout and FisherDropout (with and without local DP); codec throughput."})
final class CompressionBench implements Callable<Integer> {
  @Option(names = "--only", paramLabel = "all|training|throughput", defaultValue = "all",
      description = "Which table to print. Default: ${DEFAULT-VALUE}.")
  String only;

  @Option(names = "--rounds", defaultValue = "150", description = "Rounds per training run. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--dp-rows", paramLabel = "CLIP,SIGMA", defaultValue = "0.5,0.3",
      description = "Local DP of the DP rows, as --dp local:CLIP,SIGMA of simulate. Default: ${DEFAULT-VALUE}.")
  String localDp;

  @Option(names = "--row", paramLabel = "TEXT",
      description = "Run only the rows whose label contains TEXT (repeatable; the float32 row always runs). Default: all.")
  List<String> rowFilter = new ArrayList<>();

  @Mixin
  BenchOptions bench = new BenchOptions();

  /** One table row: a label, the uplink codec (or sub-model settings). */
  /** One table row: the run's compression, sub-models and local DP. */
  private record Row(String label, RunSpec.Compression comm, RunSpec.SubModels sub, RunSpec.Dp dp) {
    Row(String label, RunSpec.Compression comm) {
      this(label, comm, null, new RunSpec.Dp.None());
    }

    Row(String label, String policy, double keep) {
      this(label, RunSpec.Compression.none(), new RunSpec.SubModels(policy, keep, keep, 5), new RunSpec.Dp.None());
    }

    Row(String label, String policy, double keep, double clip, double z) {
      this(label, RunSpec.Compression.none(), new RunSpec.SubModels(policy, keep, keep, 5), new RunSpec.Dp.Local(clip, z));
    }
  }

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    String o = only.toLowerCase(Locale.ROOT);
    if (!List.of("all", "training", "throughput").contains(o)) {
      throw new IllegalArgumentException("--only must be all, training or throughput. Provided value: " + only);
    }
    if (!o.equals("throughput")) {
      training(out, bench.threads());
    }
    if (!o.equals("training")) {
      throughput(out);
    }
    return 0;
  }

  private void training(PrintStream out, int threads) throws Exception {
    LoadedData d = bench.load("mnist");
    int r = bench.quick ? 4 : rounds;
    String[] dp = localDp.split(",");
    double clip = Double.parseDouble(dp[0].trim());
    double z = Double.parseDouble(dp[1].trim());
    List<Row> rows = new ArrayList<>();
    rows.add(new Row("none (float32)", RunSpec.Compression.none()));
    for (String c : List.of("fp16", "int8", "int8+zstd", "topk:0.01")) {
      rows.add(new Row(c, RunSpec.Compression.of(c, "none")));
    }
    rows.add(new Row("topk:0.01 + error feedback", new RunSpec.Compression("topk:0.01", true, "none", OptionalDouble.empty(), 1)));
    // the same byte budget spent on more coordinates with cheaper values: within 0.5 points of float32 at ~58x fewer bytes
    for (String c : List.of("topk:0.04+int8+zstd", "topk:0.06+int4+zstd")) {
      rows.add(new Row(c + " + EF", new RunSpec.Compression(c, true, "none", OptionalDouble.empty(), 1)));
    }
    rows.add(new Row("int8 up, fp16 down", RunSpec.Compression.of("int8", "fp16")));
    rows.add(new Row("Federated Dropout keep 0.5", "federated-dropout", 0.5));
    rows.add(new Row("FisherDropout keep 0.5", "fisher", 0.5));
    rows.add(new Row("FisherDropout keep 0.25", "fisher", 0.25));
    rows.add(new Row("full model + local DP", "federated-dropout", 1, clip, z));
    rows.add(new Row("Federated Dropout 0.5 + DP", "federated-dropout", 0.5, clip, z));
    rows.add(new Row("FisherDropout 0.5 + local DP", "fisher", 0.5, clip, z));
    rows.add(new Row("FisherDropout 0.25 + local DP", "fisher", 0.25, clip, z));
    // the full model at the epsilon of the sub-models: z / sqrt(rho) (rho ~ keep for an MLP whose first layer dominates)
    rows.add(new Row("full + DP, z/sqrt(0.5)", "federated-dropout", 1, clip, z / Math.sqrt(0.5)));
    rows.add(new Row("full + DP, z/sqrt(0.25)", "federated-dropout", 1, clip, z / Math.sqrt(0.25)));

    out.println();
    out.printf(Locale.ROOT, "Communication on %s%n", d.description());
    out.printf(Locale.ROOT, "mlp:200, 100 clients IID, C 0.1, E 1, B 10, lr 0.1, %d rounds, seed %d; accuracy = mean of the last 5 rounds;%n",
        r, bench.seed);
    out.printf(Locale.ROOT, "DP rows: local DP, N(0, (%s x %s)^2) on every sent coordinate; the full model clips to L2 %s, a sub-model%n",
        z, clip, clip);
    out.println("keeping a fraction rho of the parameters to " + clip + " x sqrt(rho) (same per-coordinate budget, so a smaller");
    out.println("sub-model has a larger effective noise multiplier z/sqrt(rho) and a smaller epsilon)");
    out.println();
    out.println("configuration                  | test acc | uplink MB | vs none | downlink MB | local epsilon (delta 1e-5)");
    out.println("-------------------------------+----------+-----------+---------+-------------+---------------------------");
    double baseUp = Double.NaN;
    for (Row row : rows) {
      if (!Double.isNaN(baseUp) && !rowFilter.isEmpty() && rowFilter.stream().noneMatch(row.label::contains)) {
        continue; // the first row (float32) always runs: the others are compared with it
      }
      BenchRun run = BenchRun.of("mlp:200", "iid", 100, 0.1, 1, 10, 0.1, "fedavg", Adversity.none(), r, Double.NaN, bench.seed)
          .with(s -> s.withCompression(row.comm).withSubModels(Optional.ofNullable(row.sub))
              .withPrivacy(RunSpec.Privacy.none().withDp(row.dp)));
      History h = run.run(d, threads);
      long up = 0;
      long down = 0;
      for (RoundRecord rec : h.rounds()) {
        up += rec.bytesUp();
        down += rec.bytesDown();
      }
      if (Double.isNaN(baseUp)) {
        baseUp = up;
      }
      double eps = h.rounds().get(h.rounds().size() - 1).metric("local_epsilon");
      out.printf(Locale.ROOT, "%-30s | %8.4f | %9.2f | %6.1f%% | %11.2f | %s%n", row.label, BenchRun.tailMean(h, "test_accuracy", 5),
          up / 1e6, 100 * up / baseUp, down / 1e6, Double.isNaN(eps) ? "-" : String.format(Locale.ROOT, "%.1f (max over clients)", eps));
    }
  }

  private void throughput(PrintStream out) {
    int n = bench.quick ? 100_000 : 1_000_000;
    int repeats = bench.quick ? 3 : 9;
    float[] x = new float[n];
    RandomSource rng = RandomSource.seeded(bench.seed);
    for (int i = 0; i < n; i++) {
      x[i] = (float) (0.01 * rng.nextGaussian());
    }
    out.println();
    out.printf(Locale.ROOT, "Codec throughput on %,d float32 values (%.1f MB), one thread, median of %d after warm-up;%n", n, 4.0 * n / 1e6,
        repeats);
    out.println("MB/s counts float32 input bytes (encode) and float32 output bytes (decode)");
    out.println();
    out.println("codec                 | bytes/value | encode MB/s | decode MB/s");
    out.println("----------------------+-------------+-------------+------------");
    for (String spec : List.of("fp16", "bf16", "int8", "int4", "sign", "topk:0.01", "randk:0.01", "int8+zstd", "fp32+zstd")) {
      Codec c = Codecs.parse(spec);
      byte[] bytes = c.encode(x, RandomSource.seeded(1));
      for (int w = 0; w < 3; w++) {
        c.decode(c.encode(x, RandomSource.seeded(w)));
      }
      double[] enc = new double[repeats];
      double[] dec = new double[repeats];
      for (int k = 0; k < repeats; k++) {
        long t0 = System.nanoTime();
        bytes = c.encode(x, RandomSource.seeded(k));
        long t1 = System.nanoTime();
        float[] y = c.decode(bytes);
        long t2 = System.nanoTime();
        if (y.length != n) {
          throw new IllegalStateException("decoded " + y.length + " values");
        }
        enc[k] = 4.0 * n / ((t1 - t0) / 1e9) / 1e6;
        dec[k] = 4.0 * n / ((t2 - t1) / 1e9) / 1e6;
      }
      Arrays.sort(enc);
      Arrays.sort(dec);
      out.printf(Locale.ROOT, "%-21s | %11.3f | %11.0f | %10.0f%n", spec, (double) bytes.length / n, enc[repeats / 2], dec[repeats / 2]);
    }
  }
}
