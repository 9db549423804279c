package dev.starling.cli;

import dev.starling.data.LoadedData;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** The flags every training benchmark shares: budget, seed, threads and where the data sets are. */
final class BenchOptions {
  @Option(names = "--quick", description = "Small budgets (a smoke test, not a measurement).")
  boolean quick;

  @Option(names = "--seed", defaultValue = "1", description = "Seed. Default: ${DEFAULT-VALUE}.")
  long seed = 1;

  @Option(names = "--threads", paramLabel = "T", description = "Worker threads. Default: available processors.")
  Integer threads;

  @Mixin
  DataOptions data = new DataOptions();

  int threads() {
    return threads != null ? threads : Runtime.getRuntime().availableProcessors();
  }

  /**
   * Benchmarks run from a checkout: after {@code --data-dir}, {@code $STARLING_DATA} and {@code ./data} they also
   * look in the repository's {@code testdata} (mnist-10k) and in {@code ../shared/data} (the larger optional sets).
   */
  static final List<Path> BENCH_DATA_DIRS = List.of(Path.of("testdata"), Path.of("..", "shared", "data"));

  /** Loads the named data set with this run's seed (for its hold-out split). */
  LoadedData load(String name) throws IOException {
    data.dataset = name;
    data.fallbackDirs = BENCH_DATA_DIRS;
    return data.load(seed, Optional.empty());
  }
}
