package dev.starling.cli;

import dev.starling.core.random.RandomSource;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.VerticalSimulation;
import dev.starling.vertical.data.AdultIncome;
import dev.starling.vertical.data.SyntheticVertical;
import dev.starling.vertical.data.VerticalDataset;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.zip.GZIPInputStream;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code starling vertical simulate}: both parties in this process, with their baselines. */
@Command(name = "simulate", mixinStandardHelpOptions = true,
    description = {"Both parties of a vertical run in this process over an in-memory link: PSI, then the model(s) beside",
        "the centralised model on all columns and the label party alone. Data: adult (UCI Adult, split demographics |",
        "work and finance, label at the demographics party; read from --data-dir, $STARLING_DATA or ./data) or",
        "synthetic:ROWS (Gaussian columns, 4 | 6)."})
final class VerticalSimulateCommand implements Callable<Integer> {
  @Option(names = "--dataset", defaultValue = "synthetic:2000", description = "adult or synthetic:ROWS. Default: ${DEFAULT-VALUE}.")
  String dataset;

  @Option(names = "--model", defaultValue = "all", description = "lr, splitnn or all. Default: ${DEFAULT-VALUE}.")
  String model;

  @Option(names = "--overlap", defaultValue = "0.9",
      description = "Share of the records each party holds, drawn independently (PSI finds the common ones). Default: ${DEFAULT-VALUE}.")
  double overlap;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where adult-income/adult.data.gz (or adult.data) is (repeatable).")
  List<Path> dataDirs = new ArrayList<>();

  @Mixin
  VerticalCommand.TrainingOptions training = new VerticalCommand.TrainingOptions();

  /** Searched after --data-dir and $STARLING_DATA (the benchmark adds the checkout's ../shared/data). */
  List<Path> fallbackDirs = List.of(Path.of("data"));

  @Override
  public Integer call() throws IOException {
    VerticalConfig cfg = training.config();
    Set<VerticalSimulation.Model> models = models(model);
    if (!(overlap > 0 && overlap <= 1)) {
      throw new IllegalArgumentException("--overlap must be in (0, 1]. Provided value: " + overlap);
    }
    VerticalDataset data = load(dataset, dataDirs, fallbackDirs, cfg.seed());
    report(System.out, data, settings(cfg), models, cfg.seed());
    return 0;
  }

  VerticalSimulation.Settings settings(VerticalConfig cfg) {
    return new VerticalSimulation.Settings(cfg, overlap, training.hidden, training.embed, training.topHidden, training.paillierBits);
  }

  static Set<VerticalSimulation.Model> models(String spec) {
    return switch (spec.toLowerCase(Locale.ROOT)) {
      case "lr" -> EnumSet.of(VerticalSimulation.Model.LR);
      case "splitnn" -> EnumSet.of(VerticalSimulation.Model.SPLITNN);
      case "all" -> VerticalSimulation.all();
      default -> throw new IllegalArgumentException("--model must be lr, splitnn or all. Provided value: " + spec);
    };
  }

  /** The named data set; a missing adult file is a usage error naming the directories searched. */
  static VerticalDataset load(String name, List<Path> dirs, List<Path> fallback, long seed) throws IOException {
    if (name.startsWith("synthetic:")) {
      int rows;
      try {
        rows = Integer.parseInt(name.substring("synthetic:".length()));
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("--dataset synthetic:ROWS needs a row count. Provided value: " + name);
      }
      if (rows < 20) {
        throw new IllegalArgumentException("--dataset synthetic:ROWS needs >= 20 rows. Provided value: " + rows);
      }
      return SyntheticVertical.generate(rows, 4, 6, RandomSource.seeded(seed).derive(99));
    }
    if (!name.equals("adult")) {
      throw new IllegalArgumentException("--dataset must be adult or synthetic:ROWS. Provided value: " + name);
    }
    List<Path> search = new ArrayList<>(dirs);
    String env = System.getenv("STARLING_DATA");
    if (env != null && !env.isBlank()) {
      search.add(Path.of(env));
    }
    search.addAll(fallback);
    for (Path dir : search) {
      for (String f : new String[] {"adult-income/adult.data.gz", "adult-income/adult.data", "adult.data.gz", "adult.data"}) {
        Path p = dir.resolve(f);
        if (Files.isReadable(p)) {
          try (InputStream raw = Files.newInputStream(p);
              InputStream in = f.endsWith(".gz") ? new GZIPInputStream(raw) : raw;
              Reader r = new InputStreamReader(in, StandardCharsets.UTF_8)) {
            return AdultIncome.parse(r, p.toString());
          }
        }
      }
    }
    throw new IllegalArgumentException("adult.data (or adult-income/adult.data.gz) not found in " + search + "; download it from"
        + " https://archive.ics.uci.edu/dataset/2/adult and give its folder with --data-dir or $STARLING_DATA");
  }

  static void report(PrintStream out, VerticalDataset data, VerticalSimulation.Settings s, Set<VerticalSimulation.Model> models,
      long seed) {
    VerticalSimulation.Report rep = VerticalSimulation.run(data, s, models, RandomSource.seeded(seed));
    VerticalSimulation.PsiRow p = rep.psi();
    out.printf(Locale.ROOT, "PSI: label party %d ids, feature party %d ids, %d common; %.1f s, %.2f MB%n", p.labelIds(),
        p.featureIds(), p.intersection(), p.seconds(), p.bytes() / 1e6);
    out.printf(Locale.ROOT, "label party %d columns, feature party %d columns; %d training rows, %d test rows; %d epochs,"
        + " batch %d, lr %s%n", data.labelParty().cols(), data.featureParty().cols(), rep.trainRows(), rep.testRows(),
        s.training().epochs(), s.training().batchSize(), s.training().learningRate());
    out.println();
    out.println("model                        | test acc | test AUC | MB / epoch | s / epoch");
    out.println("-----------------------------+----------+----------+------------+----------");
    for (VerticalSimulation.Row r : rep.rows()) {
      out.printf(Locale.ROOT, "%-28s | %8.4f | %8.4f | %10.2f | %9.2f%n", r.name(), r.accuracy(), r.auc(), r.bytesPerEpoch() / 1e6,
          r.secondsPerEpoch());
    }
  }
}
