package dev.starling.cli;

import dev.starling.core.learner.Task;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.data.MissingValues;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import picocli.CommandLine.Option;

/** Dataset flags shared by {@code simulate} and {@code evaluate}. */
final class DataOptions {
  @Option(names = "--dataset", paramLabel = "NAME|PATH", defaultValue = "digits",
      description = "Built-in name (digits, breast-cancer, mnist, fashion-mnist, credit-amount, persuasion), a CSV file, a"
          + " .txt file (next-token), or a directory of IDX files. Default: ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--label", paramLabel = "COLUMN", description = "Label column of a CSV (default: label/target/class/y, else the last column).")
  String label;

  @Option(names = "--drop", paramLabel = "COLUMN", split = ",", description = "CSV columns to ignore, e.g. an id column.")
  List<String> drop = new ArrayList<>();

  @Option(names = "--missing", paramLabel = "reject|drop|mean", defaultValue = "reject",
      description = "What to do with missing CSV values: reject the file (default), drop the row, or impute the column mean.")
  String missing;

  @Option(names = "--test-fraction", paramLabel = "F", defaultValue = "0.2",
      description = "Stratified hold-out fraction for datasets without their own test split. Default: ${DEFAULT-VALUE}.")
  double testFraction;

  @Option(names = "--task", paramLabel = "classification|regression|next-token", converter = TaskConverter.class,
      description = "What to predict from a CSV label: classes (default; a label that looks continuous is refused),"
          + " a number (regression), or the next character of a .txt file (next-token, also implied by .txt).")
  Task task;

  /** Parses {@code --task}; picocli turns its exception into a usage error (exit 2). */
  static final class TaskConverter implements picocli.CommandLine.ITypeConverter<Task> {
    @Override
    public Task convert(String value) {
      try {
        return Task.parse(value);
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.TypeConversionException(e.getMessage());
      }
    }
  }

  @Option(names = "--data-dir", paramLabel = "DIR",
      description = "Where to look for the named datasets mnist and fashion-mnist (repeatable). Also searched: $STARLING_DATA, then ./data.")
  List<Path> dataDirs = new ArrayList<>();

  /**
   * Searched last, where they exist; empty for the product commands. The benchmarks, run from a checkout, add the
   * repository's {@code testdata} and a {@code ../shared/data} beside the project ({@link BenchOptions}).
   */
  List<Path> fallbackDirs = List.of();

  /**
   * Loads {@code --dataset}. A named data set missing from every search directory (or a data file that does not
   * exist) is bad usage, an {@link IllegalArgumentException} (exit 2) whose message names where it was looked for.
   */
  LoadedData load(long seed, Optional<String> keyColumn) throws IOException {
    CatalogOptions o = new CatalogOptions(Optional.ofNullable(label), keyColumn, List.copyOf(drop), missing(),
        testFraction, seed, searchDirs(), task());
    try {
      return DatasetCatalog.resolve(dataset, o);
    } catch (java.io.FileNotFoundException | java.nio.file.NoSuchFileException e) {
      String msg = e instanceof java.nio.file.NoSuchFileException ? "no such file " + e.getMessage() : e.getMessage();
      throw new IllegalArgumentException(msg != null && msg.contains(dataset) ? msg : "--dataset " + dataset + ": " + msg, e);
    }
  }

  /**
   * The first search directory (or its {@code folder}) that holds {@code file}, for loaders that take options
   * the catalog's defaults do not (smaller budgets in benchmarks).
   *
   * @throws java.io.FileNotFoundException naming the data set, the file and every directory searched
   */
  Path locate(String name, String folder, String file) throws java.io.FileNotFoundException {
    List<Path> dirs = searchDirs();
    for (Path dir : dirs) {
      for (Path candidate : List.of(dir.resolve(folder), dir)) {
        if (Files.isRegularFile(candidate.resolve(file))) {
          return candidate;
        }
      }
    }
    throw new java.io.FileNotFoundException("dataset '" + name + "' not found: looked for " + folder + "/" + file
        + " in " + (dirs.isEmpty() ? "no search directories" : dirs.toString())
        + "; pass --data-dir DIR where DIR holds " + folder + "/");
  }

  /** The {@code --task} given, if any. */
  Optional<Task> task() {
    return Optional.ofNullable(task);
  }

  MissingValues missing() {
    return switch (missing.toLowerCase(Locale.ROOT)) {
      case "reject" -> MissingValues.REJECT;
      case "drop" -> MissingValues.DROP_ROW;
      case "mean" -> MissingValues.MEAN_IMPUTE;
      default -> throw new IllegalArgumentException("--missing must be reject, drop or mean. Provided value: " + missing);
    };
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
    for (Path p : fallbackDirs) {
      if (Files.isDirectory(p)) {
        dirs.add(p);
      }
    }
    return dirs;
  }

  /**
   * Whether the dataset is on a fixed scale already (images) or meant to be used raw (the FedProx
   * synthetic sets), so per-party standardisation is off by default.
   */
  boolean isImageData() {
    String d = dataset.toLowerCase(Locale.ROOT);
    if (d.equals("digits") || d.equals("mnist") || d.equals("fashion-mnist") || d.startsWith("synthetic:")
        || d.equals("persuasion") || d.endsWith(".txt") || d.endsWith(".txt.gz") // one-hot text windows: on a fixed scale
        || d.equals("shakespeare")) { // token ids: standardising would turn them into non-integers
      return true;
    }
    return Files.isDirectory(Path.of(dataset));
  }
}
