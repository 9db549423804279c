package dev.starling.data;

import dev.starling.core.error.Checks;
import java.nio.file.Path;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import dev.starling.core.learner.Task;

/**
 * How {@link DatasetCatalog#resolve(String, CatalogOptions)} loads and splits a dataset. Immutable; validated
 * in the constructor.
 *
 * @param labelColumn CSV files only: the label column; empty to detect it ({@link CsvLoader})
 * @param keyColumn CSV files only: a natural partition key kept as {@link Dataset#keys()}
 * @param dropColumns CSV files only: columns to ignore
 * @param missing CSV files only: the missing-value policy
 * @param testFraction the stratified holdout fraction in (0, 1) for datasets without their own test split
 * @param seed seeds the holdout, so a seed always gives the same split
 * @param searchDirs folders searched, in order, for the named datasets that are not bundled ({@code mnist},
 *     {@code fashion-mnist}); each is expected to hold the dataset's folder, e.g. {@code mnist-10k/}
 * @param task CSV files: the task the label is encoded for (empty: classification, refusing a continuous label);
 *     a {@code .txt} file is always next-token, a named dataset has its own task
 */
public record CatalogOptions(Optional<String> labelColumn, Optional<String> keyColumn, List<String> dropColumns,
    MissingValues missing, double testFraction, long seed, List<Path> searchDirs, Optional<Task> task) {

  /** The default holdout fraction. */
  public static final double DEFAULT_TEST_FRACTION = 0.2;
  /** The default seed of the holdout. */
  public static final long DEFAULT_SEED = 42;

  public CatalogOptions {
    Objects.requireNonNull(labelColumn, "labelColumn");
    Objects.requireNonNull(keyColumn, "keyColumn");
    dropColumns = List.copyOf(dropColumns);
    Objects.requireNonNull(missing, "missing");
    Checks.checkArgument(testFraction > 0 && testFraction < 1, "testFraction", "in (0, 1)", testFraction);
    searchDirs = List.copyOf(searchDirs);
    Objects.requireNonNull(task, "task");
  }

  /** Options with the task left to the data (classification for CSV files). */
  public CatalogOptions(Optional<String> labelColumn, Optional<String> keyColumn, List<String> dropColumns,
      MissingValues missing, double testFraction, long seed, List<Path> searchDirs) {
    this(labelColumn, keyColumn, dropColumns, missing, testFraction, seed, searchDirs, Optional.empty());
  }

  /** A copy with a task for CSV labels. */
  public CatalogOptions withTask(Task newTask) {
    return new CatalogOptions(labelColumn, keyColumn, dropColumns, missing, testFraction, seed, searchDirs,
        Optional.of(newTask));
  }

  /**
   * Detected label, no key, no dropped columns, {@link MissingValues#REJECT}, test fraction
   * {@value #DEFAULT_TEST_FRACTION}, seed {@value #DEFAULT_SEED}, search dir {@code data} (relative to the
   * working directory).
   */
  public static CatalogOptions defaults() {
    return new CatalogOptions(Optional.empty(), Optional.empty(), List.of(), MissingValues.REJECT,
        DEFAULT_TEST_FRACTION, DEFAULT_SEED, List.of(Path.of("data")));
  }

  /** A copy with another seed. */
  public CatalogOptions withSeed(long newSeed) {
    return new CatalogOptions(labelColumn, keyColumn, dropColumns, missing, testFraction, newSeed, searchDirs, task);
  }

  /** A copy with other search dirs. */
  public CatalogOptions withSearchDirs(List<Path> dirs) {
    return new CatalogOptions(labelColumn, keyColumn, dropColumns, missing, testFraction, seed, dirs, task);
  }

  /** A copy with another test fraction. */
  public CatalogOptions withTestFraction(double fraction) {
    return new CatalogOptions(labelColumn, keyColumn, dropColumns, missing, fraction, seed, searchDirs, task);
  }

  /** The CSV loader these options describe. */
  CsvLoader csvLoader() {
    CsvLoader.Builder b = CsvLoader.builder().dropColumns(dropColumns).missing(missing);
    labelColumn.ifPresent(b::labelColumn);
    keyColumn.ifPresent(b::keyColumn);
    task.ifPresent(b::task);
    return b.build();
  }
}
