package dev.starling.cli;

import dev.starling.data.LoadedData;
import java.io.IOException;
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

  /** Loads the named data set with this run's seed (for its hold-out split). */
  LoadedData load(String name) throws IOException {
    data.dataset = name;
    return data.load(seed, Optional.empty());
  }
}
