package dev.starling.cli;

import dev.starling.core.io.ModelArchive;
import dev.starling.core.learner.Task;
import dev.starling.data.CsvLoader;
import dev.starling.data.Dataset;
import dev.starling.data.FeatureSchema;
import dev.starling.data.MissingValues;
import dev.starling.data.Preprocessing;
import dev.starling.learners.ModelSpec;
import dev.starling.learners.Prediction;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.OutputStreamWriter;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code starling predict}: scores the rows of a CSV file with a saved model. */
@Command(name = "predict", mixinStandardHelpOptions = true, sortOptions = false,
    description = {"Scores the rows of a CSV file (even a single row) with a model file written by simulate --model-out.",
        "Output: a CSV with a header; the first column is the prediction in the training label's own terms, then one"
            + " probability column per class (classification), or only the predicted value (regression).",
        "The rows are encoded with the model's columns and categories and standardised with its saved statistics;"
            + " a label column, if present, is ignored."})
final class PredictCommand implements Callable<Integer> {
  @Option(names = "--model", paramLabel = "FILE", required = true, description = "Model file (format version 2).")
  Path model;

  @Option(names = "--data", paramLabel = "CSV", required = true, description = "Rows to score: a CSV file with a header.")
  Path data;

  @Option(names = "--out", paramLabel = "FILE", description = "Write the predictions here (atomically) instead of to stdout.")
  Path out;

  @Override
  public Integer call() throws Exception {
    ModelArchive archive = ModelFiles.read(model);
    ModelSpec spec = ModelSpec.parse(archive.require(ModelFiles.MODEL));
    int features = Integer.parseInt(archive.require(ModelFiles.NUM_FEATURES));
    int outputs = Integer.parseInt(archive.require(ModelFiles.NUM_CLASSES));
    Preprocessing prep = Preprocessing.read(archive);
    spec.checkCompatible(archive.parameters(), features, outputs);
    if (prep.task() == Task.NEXT_TOKEN) {
      throw new IllegalArgumentException("model " + model + " predicts the next token of a text; predict scores CSV rows"
          + " of tabular models only (use evaluate on a .txt file)");
    }
    FeatureSchema schema = prep.schema().orElseThrow(() -> new IllegalArgumentException("model " + model
        + " has no feature schema (a version-1 file, or trained on image data); predict needs a version-2 model"
        + " trained on a CSV file"));
    if (prep.legacyPerParty()) {
      throw new IllegalArgumentException("model " + model + " does not carry its standardisation statistics");
    }
    Dataset rows = prep.apply(CsvLoader.builder().schema(schema).labelOptional(true).missing(MissingValues.REJECT)
        .build().load(data));
    if (rows.numFeatures() != features) {
      throw new IllegalArgumentException("model " + model + " expects " + features + " features; the schema gives "
          + rows.numFeatures());
    }
    List<String> classes = prep.classNames();
    if (out == null) {
      PrintWriter w = new PrintWriter(new OutputStreamWriter(System.out, StandardCharsets.UTF_8));
      write(w, spec, archive, rows, prep, classes, outputs);
      w.flush();
    } else {
      Path abs = out.toAbsolutePath();
      Files.createDirectories(abs.getParent());
      Path tmp = Files.createTempFile(abs.getParent(), abs.getFileName().toString(), ".tmp");
      try (BufferedWriter bw = Files.newBufferedWriter(tmp, StandardCharsets.UTF_8); PrintWriter w = new PrintWriter(bw)) {
        write(w, spec, archive, rows, prep, classes, outputs);
        if (w.checkError()) {
          throw new IOException("cannot write " + out);
        }
      } catch (IOException | RuntimeException e) {
        Files.deleteIfExists(tmp);
        throw e;
      }
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      System.err.printf(Locale.ROOT, "%d predictions written to %s%n", rows.size(), out);
    }
    return 0;
  }

  private static void write(PrintWriter w, ModelSpec spec, ModelArchive archive, Dataset rows, Preprocessing prep,
      List<String> classes, int outputs) {
    int d = rows.numFeatures();
    if (prep.task() == Task.REGRESSION) {
      double offset = prep.standardizer().map(s -> s.targetMean()).orElse(0.0);
      double scale = prep.standardizer().map(s -> s.targetStd()).orElse(1.0);
      double[] v = Prediction.values(spec, archive.parameters(), rows.features(), d, offset, scale);
      w.println(csv(classes.isEmpty() ? "prediction" : classes.get(0)));
      for (double x : v) {
        w.println(Double.toString(x));
      }
      return;
    }
    float[] p = Prediction.probabilities(spec, archive.parameters(), rows.features(), d, outputs);
    StringBuilder header = new StringBuilder(csv(schemaLabel(prep)));
    for (int k = 0; k < outputs; k++) {
      header.append(',').append(csv("p(" + name(classes, k) + ")"));
    }
    w.println(header);
    for (int r = 0; r < rows.size(); r++) {
      int best = 0;
      for (int k = 1; k < outputs; k++) {
        if (p[r * outputs + k] > p[r * outputs + best]) {
          best = k;
        }
      }
      StringBuilder line = new StringBuilder(csv(name(classes, best)));
      for (int k = 0; k < outputs; k++) {
        line.append(',').append(Float.toString(p[r * outputs + k]));
      }
      w.println(line);
    }
  }

  private static String schemaLabel(Preprocessing prep) {
    return prep.schema().map(FeatureSchema::labelColumn).orElse("prediction");
  }

  private static String name(List<String> classes, int k) {
    return k < classes.size() ? classes.get(k) : Integer.toString(k);
  }

  /** A CSV field, quoted if it needs to be (RFC 4180). */
  private static String csv(String s) {
    if (s.indexOf(',') < 0 && s.indexOf('"') < 0 && s.indexOf('\n') < 0 && s.indexOf('\r') < 0) {
      return s;
    }
    return '"' + s.replace("\"", "\"\"") + '"';
  }
}
