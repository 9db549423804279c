package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.Task;
import dev.starling.core.random.RandomSource;
import dev.starling.data.CsvLoader;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.FeatureSchema;
import dev.starling.data.LoadedData;
import dev.starling.data.Preprocessing;
import dev.starling.data.Split;
import dev.starling.data.Splits;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code starling evaluate}: evaluates a saved model on a dataset. */
@Command(name = "evaluate", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Evaluates a model file on a dataset and prints the task's metrics: loss, accuracy (and AUC for"
        + " binary tasks); rmse, mae, r2 for regression; perplexity and accuracy for next-token.",
        "A version-2 model encodes a CSV file with its own columns and categories and standardises with the"
        + " statistics saved at training time, not with the evaluated file's."})
final class EvaluateCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "FILE", required = true, description = "Model file written by simulate --model-out.")
  Path model;

  @Mixin
  DataOptions data = new DataOptions();

  @Option(names = "--split", paramLabel = "test|train|all",
      description = "Which part of the dataset to evaluate on (the hold-out uses --seed and --test-fraction). "
          + "Default: test for a named dataset, all for a file or directory.")
  String split;

  @Option(names = "--seed", paramLabel = "S", defaultValue = "1", description = "Seed of the hold-out split. Default: ${DEFAULT-VALUE}.")
  long seed;

  @Override
  public Integer call() throws Exception {
    ModelArchive archive = ModelFiles.read(model);
    ModelSpec spec = ModelSpec.parse(archive.require(ModelFiles.MODEL));
    int features = Integer.parseInt(archive.require(ModelFiles.NUM_FEATURES));
    int classes = Integer.parseInt(archive.require(ModelFiles.NUM_CLASSES));
    Preprocessing prep = Preprocessing.read(archive);
    if (split == null) {
      split = DatasetCatalog.builtinNames().contains(data.dataset.toLowerCase(Locale.ROOT)) ? "test" : "all";
    }
    String which = split.toLowerCase(Locale.ROOT);
    if (!which.equals("test") && !which.equals("train") && !which.equals("all")) {
      throw new IllegalArgumentException("--split must be test, train or all. Provided value: " + split);
    }
    Dataset ds;
    String description;
    Optional<FeatureSchema> schema = prep.schema();
    if (schema.isPresent() && isCsvFile(data.dataset)) {
      Dataset all = CsvLoader.builder().schema(schema.get()).missing(data.missing()).build().load(Path.of(data.dataset));
      description = data.dataset + " (CSV, encoded with the model's schema): " + all.size() + " rows";
      if (which.equals("all")) {
        ds = all;
      } else {
        Split s = Splits.stratifiedHoldout(all, data.testFraction, RandomSource.seeded(seed));
        ds = which.equals("test") ? s.test() : s.train();
      }
    } else {
      LoadedData loaded = data.load(seed, Optional.empty());
      description = loaded.description();
      ds = switch (which) {
        case "test" -> loaded.test();
        case "train" -> loaded.train();
        default -> Datasets.concat(loaded.train(), loaded.test());
      };
    }
    if (ds.task() != prep.task()) {
      throw new IllegalArgumentException("model " + model + " was trained for " + prep.task() + ", but " + data.dataset
          + " was loaded for " + ds.task() + (prep.task() == Task.REGRESSION ? " (add --task regression)" : ""));
    }
    if (ds.numFeatures() != features || ds.numClasses() != classes) {
      throw new IllegalArgumentException("model " + model + " expects " + features + " features and " + classes
          + " outputs, but " + data.dataset + " has " + ds.numFeatures() + " features and " + ds.numClasses() + " outputs");
    }
    spec.checkCompatible(archive.parameters(), features, classes);
    ds = prep.apply(ds);
    EvalResult r = Evaluation.evaluate(spec, archive.parameters(), ds);
    System.out.printf(Locale.ROOT, "model     %s (%s, %s, trained on %s)%n", model, spec.id(), prep.task(),
        archive.metadata().getOrDefault("dataset", "?"));
    System.out.printf(Locale.ROOT, "dataset   %s, split %s: %d rows%n", description, which, ds.size());
    if (prep.legacyPerParty()) {
      System.out.println("note      version-1 model file: standardised with the evaluated data's own statistics");
    }
    for (Map.Entry<String, Double> e : r.metrics().asMap().entrySet()) {
      System.out.printf(Locale.ROOT, "%-9s %.4f%n", e.getKey(), e.getValue());
    }
    return 0;
  }

  static boolean isCsvFile(String dataset) {
    String lower = dataset.toLowerCase(Locale.ROOT);
    return (lower.endsWith(".csv") || lower.endsWith(".csv.gz")) && Files.isRegularFile(Path.of(dataset));
  }
}
