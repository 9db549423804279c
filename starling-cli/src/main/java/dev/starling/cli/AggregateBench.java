package dev.starling.cli;

import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.Aggregation;
import dev.starling.strategy.FedAvg;
import dev.starling.strategy.Strategy;
import dev.starling.strategy.kernel.Parallel;
import dev.starling.strategy.robust.RobustRules;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code starling bench aggregate}: times one server-side aggregation, the real strategy path
 * ({@code beginAggregation}, {@code accept} per update, {@code finish}), on N random float32 updates of P
 * parameters that are already in memory, as a server holds them when they arrive. Each run starts after
 * a {@code System.gc()} (untimed), so, as in a long-running server, the memory the run allocates (the new
 * model) comes from heap that earlier rounds used and freed rather than from pages touched for the first
 * time; {@code --no-gc} measures the cold case. Prints one row per timed repeat and, last, one summary
 * line with the median.
 */
@Command(name = "aggregate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Times one server-side aggregation (strategy path: accept every update, then finish) on random",
        "float32 updates. Last line: rule=... clients=N params=P seconds=S gbps=G (median over repeats, after warm-up;",
        "gbps = bytes of updates read / seconds)."})
final class AggregateBench implements Callable<Integer> {
  @Option(names = "--rule", required = true, paramLabel = "RULE",
      description = "fedavg | median | trimmed:BETA | krum:F | multikrum:F[,M] | bulyan:F")
  String rule;

  @Option(names = "--clients", required = true, paramLabel = "N", description = "Updates per round.")
  int clients;

  @Option(names = "--params", required = true, paramLabel = "P", description = "Parameters per update.")
  int params;

  @Option(names = "--repeat", defaultValue = "5", paramLabel = "R", description = "Timed repeats. Default: ${DEFAULT-VALUE}.")
  int repeat;

  @Option(names = "--warmup", defaultValue = "2", paramLabel = "W", description = "Untimed warm-up runs. Default: ${DEFAULT-VALUE}.")
  int warmup;

  @Option(names = "--seed", defaultValue = "1", description = "Seed of the random updates. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Option(names = "--no-gc", description = "Do not collect garbage before each run: the run's new model then lands in"
      + " never-touched memory (page faults), as in a fresh process.")
  boolean noGc;

  @Override
  public Integer call() {
    if (clients < 1 || params < 1 || repeat < 1 || warmup < 0) {
      throw new IllegalArgumentException("--clients, --params and --repeat must be >= 1 and --warmup >= 0. Provided values: "
          + clients + ", " + params + ", " + repeat + ", " + warmup);
    }
    Strategy strategy = strategy(rule);
    PrintStream out = System.out;
    ParameterSet global = ParameterSet.of(List.of(Tensor.of("w", new float[params], params)));
    TrainResult[] updates = randomUpdates();
    double bytes = 4.0 * clients * params;
    out.printf(Locale.ROOT, "aggregate: %s, %d updates x %,d float32 params (%.1f MB read), %d threads, %s, %s%n",
        strategy.describe(), clients, params, bytes / 1e6, Parallel.threads(), Runtime.version(),
        noGc ? "no GC between runs" : "GC before each run (untimed)");
    out.println("cpu s = CPU seconds of the whole JVM during the run (all threads), to tell work from waiting on a busy machine");
    out.println("run      | seconds  | GB/s   | cpu s");
    out.println("---------+----------+--------+--------");
    for (int w = 0; w < warmup; w++) {
      collect();
      long c0 = cpuNanos();
      double s = once(strategy, global, updates);
      out.printf(Locale.ROOT, "warm-up %d| %8.4f | %6.2f | %6.4f%n", w + 1, s, bytes / s / 1e9, (cpuNanos() - c0) / 1e9);
    }
    double[] t = new double[repeat];
    for (int r = 0; r < repeat; r++) {
      collect();
      long c0 = cpuNanos();
      t[r] = once(strategy, global, updates);
      out.printf(Locale.ROOT, "repeat %2d| %8.4f | %6.2f | %6.4f%n", r + 1, t[r], bytes / t[r] / 1e9, (cpuNanos() - c0) / 1e9);
    }
    double median = median(t);
    out.printf(Locale.ROOT, "rule=%s clients=%d params=%d seconds=%.6f gbps=%.3f%n", rule, clients, params, median,
        bytes / median / 1e9);
    return 0;
  }

  static Strategy strategy(String rule) {
    return rule.trim().equalsIgnoreCase("fedavg") ? new FedAvg() : RobustRules.parse(rule);
  }

  private TrainResult[] randomUpdates() {
    RandomSource rng = RandomSource.seeded(seed);
    TrainResult[] out = new TrainResult[clients];
    for (int i = 0; i < clients; i++) {
      float[] d = new float[params];
      for (int j = 0; j < params; j++) {
        d[j] = (float) rng.nextGaussian() * 0.01f;
      }
      out[i] = new TrainResult(ParameterSet.of(List.of(Tensor.of("w", d, params))), 10 + i % 7, 1, Metrics.empty());
    }
    return out;
  }

  private void collect() {
    if (!noGc) {
      System.gc();
    }
  }

  private static double once(Strategy strategy, ParameterSet global, TrainResult[] updates) {
    long t0 = System.nanoTime();
    Aggregation a = strategy.beginAggregation(1, global);
    for (int i = 0; i < updates.length; i++) {
      a.accept(ClientId.ofIndex(i), updates[i]);
    }
    a.finish(List.of());
    return (System.nanoTime() - t0) / 1e9;
  }

  /** CPU time of this JVM so far, or 0 where the platform does not report it. */
  private static long cpuNanos() {
    java.lang.management.OperatingSystemMXBean os = java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    return os instanceof com.sun.management.OperatingSystemMXBean sun ? Math.max(0, sun.getProcessCpuTime()) : 0;
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }
}
