package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import dev.starling.core.learner.EvalResult;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.data.Standardizer;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
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
    description = "Evaluates a model file on a dataset and prints loss, accuracy (and AUC for binary tasks).")
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
    LoadedData loaded = data.load(seed, Optional.empty());
    if (split == null) {
      split = DatasetCatalog.builtinNames().contains(data.dataset.toLowerCase(Locale.ROOT)) ? "test" : "all";
    }
    Dataset ds = switch (split.toLowerCase(Locale.ROOT)) {
      case "test" -> loaded.test();
      case "train" -> loaded.train();
      case "all" -> Datasets.concat(loaded.train(), loaded.test());
      default -> throw new IllegalArgumentException("--split must be test, train or all. Provided value: " + split);
    };
    if (ds.numFeatures() != features || ds.numClasses() != classes) {
      throw new IllegalArgumentException("model " + model + " expects " + features + " features and " + classes
          + " classes, but " + data.dataset + " has " + ds.numFeatures() + " features and " + ds.numClasses() + " classes");
    }
    spec.checkCompatible(archive.parameters(), features, classes);
    if ("standardize-per-party".equals(archive.metadata().get(ModelFiles.PREPROCESSING))) {
      ds = Standardizer.fit(ds).apply(ds);
    }
    EvalResult r = Evaluation.evaluate(spec, archive.parameters(), ds);
    System.out.printf(Locale.ROOT, "model     %s (%s, trained on %s)%n", model, spec.id(), archive.metadata().getOrDefault("dataset", "?"));
    System.out.printf(Locale.ROOT, "dataset   %s, split %s: %d rows%n", loaded.description(), split, ds.size());
    for (Map.Entry<String, Double> e : r.metrics().asMap().entrySet()) {
      System.out.printf(Locale.ROOT, "%-9s %.4f%n", e.getKey(), e.getValue());
    }
    return 0;
  }
}
