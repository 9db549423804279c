package dev.starling.cli;

import dev.starling.core.random.RandomSource;
import dev.starling.vertical.ColumnBlock;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.VerticalSimulation;
import dev.starling.vertical.data.VerticalDataset;
import dev.starling.vertical.link.InProcessLink;
import dev.starling.vertical.psi.Psi;
import dev.starling.vertical.psi.PsiParty;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CompletableFuture;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code starling bench vertical}: the cost of PSI at 100k ids per party, and vertical LR and SplitNN on UCI Adult
 * split by columns (demographics with the label | work and finance) against the centralised model and the label
 * party alone.
 */
@Command(name = "vertical", mixinStandardHelpOptions = true,
    description = {"Vertical FL: PSI cost for --psi-ids ids per party; then on adult (split demographics+label |",
        "work and finance): vertical LR (Paillier) and SplitNN against centralised and label-party-alone models;",
        "accuracy, AUC, MB and seconds per epoch. Both parties run in this process over an in-memory link."})
final class VerticalBench implements Callable<Integer> {
  @Option(names = "--psi-ids", defaultValue = "100000", description = "Ids per party in the PSI row. Default: ${DEFAULT-VALUE}.")
  int psiIds;

  @Option(names = "--psi-common", defaultValue = "0.5", description = "Share of ids the two PSI sets share. Default: ${DEFAULT-VALUE}.")
  double psiCommon;

  @Option(names = "--lr-epochs", defaultValue = "2",
      description = "Epochs of the LR rows (vertical LR encrypts one residual per row and epoch). Default: ${DEFAULT-VALUE}.")
  int lrEpochs;

  @Option(names = "--lr-rows", paramLabel = "N",
      description = "Rows of adult the LR rows use (a seeded subsample; Paillier is slow on small machines). Default: all.")
  Integer lrRows;

  @Option(names = "--psi-only", description = "Only the PSI row.")
  boolean psiOnly;

  @Option(names = "--quick", description = "Small sizes (a smoke test, not a measurement).")
  boolean quick;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Where adult-income/adult.data.gz is (repeatable).")
  List<Path> dataDirs = new ArrayList<>();

  @Option(names = "--overlap", defaultValue = "0.95", description = "Share of adult's rows each party holds. Default: ${DEFAULT-VALUE}.")
  double overlap;

  @Mixin
  VerticalCommand.TrainingOptions training = new VerticalCommand.TrainingOptions();

  @Override
  public Integer call() throws IOException {
    VerticalConfig cfg = training.config();
    if (psiIds < 1 || !(psiCommon >= 0 && psiCommon <= 1) || lrEpochs < 1 || (lrRows != null && lrRows < 100)) {
      throw new IllegalArgumentException("need --psi-ids >= 1, --psi-common in [0, 1], --lr-epochs >= 1, --lr-rows >= 100");
    }
    PrintStream out = System.out;
    int n = quick ? Math.min(psiIds, 2000) : psiIds;
    psiRow(out, n, psiCommon);
    if (psiOnly) {
      return 0;
    }
    VerticalDataset adult = VerticalSimulateCommand.load("adult", dataDirs, List.of(Path.of("data"), Path.of("..", "shared", "data")),
        cfg.seed());
    if (quick) {
      adult = subsample(adult, 2000, cfg.seed());
    }
    VerticalConfig nn = quick ? new VerticalConfig(1, cfg.batchSize(), cfg.learningRate(), cfg.l2(), cfg.testFraction(), cfg.seed()) : cfg;
    out.println();
    out.println("SplitNN (bottom --hidden " + java.util.Arrays.toString(training.hidden) + " -> embed " + training.embed
        + ", top " + java.util.Arrays.toString(training.topHidden) + "):");
    VerticalSimulateCommand.report(out, adult, settings(nn), EnumSet.of(VerticalSimulation.Model.SPLITNN), cfg.seed());
    VerticalDataset lrData = lrRows != null ? subsample(adult, lrRows, cfg.seed()) : adult;
    if (quick) {
      lrData = subsample(adult, 300, cfg.seed());
    }
    VerticalConfig lr = new VerticalConfig(quick ? 1 : lrEpochs, cfg.batchSize(), cfg.learningRate(), cfg.l2(), cfg.testFraction(),
        cfg.seed());
    out.println();
    out.println("Logistic regression" + (lrData != adult ? " on a " + lrData.ids().size() + "-row subsample" : "") + ":");
    VerticalSimulateCommand.report(out, lrData, settings(lr), EnumSet.of(VerticalSimulation.Model.LR), cfg.seed());
    return 0;
  }

  private VerticalSimulation.Settings settings(VerticalConfig c) {
    return new VerticalSimulation.Settings(c, overlap, training.hidden, training.embed, training.topHidden, training.paillierBits);
  }

  static void psiRow(PrintStream out, int n, double common) {
    int shared = (int) Math.round(n * common);
    List<String> a = new ArrayList<>(n);
    List<String> b = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      a.add("customer-" + i);
      b.add("customer-" + (i < shared ? i : n + i));
    }
    InProcessLink[] link = InProcessLink.pair("leader", "follower", Duration.ofHours(1));
    PsiParty l = new PsiParty("leader", a, RandomSource.secure());
    PsiParty f = new PsiParty("follower", b, RandomSource.secure());
    long cpu0 = processCpuNanos();
    long t0 = System.nanoTime();
    CompletableFuture<List<String>> fr = CompletableFuture.supplyAsync(() -> Psi.follow(f, link[1]));
    List<String> got = Psi.lead(l, link[0]);
    fr.join();
    double s = (System.nanoTime() - t0) / 1e9;
    double cpu = (processCpuNanos() - cpu0) / 1e9;
    long bytes = link[0].bytesSent() + link[1].bytesSent();
    out.printf(Locale.ROOT, "PSI (ECDH P-256, RFC 9380 hash-to-curve), %d ids per party, %d common, %d threads:%n", n, got.size(),
        Runtime.getRuntime().availableProcessors());
    out.printf(Locale.ROOT, "  %.1f s wall (%.0f ids/s per party), %.1f CPU s for both parties (%.0f us per id per party),"
        + " %.2f MB on the wire (%.1f bytes per id)%n", s, n / s, cpu, cpu / (2.0 * n) * 1e6, bytes / 1e6, bytes / (2.0 * n));
  }

  /** CPU time of this process (both simulated parties), or 0 where the JVM does not report it. */
  static long processCpuNanos() {
    return java.lang.management.ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
        ? os.getProcessCpuTime() : 0;
  }

  /** A seeded subsample of {@code rows} rows. */
  static VerticalDataset subsample(VerticalDataset d, int rows, long seed) {
    if (rows >= d.ids().size()) {
      return d;
    }
    int[] perm = RandomSource.seeded(seed).derive(77).permutation(d.ids().size());
    int[] idx = java.util.Arrays.copyOf(perm, rows);
    java.util.Arrays.sort(idx);
    List<String> ids = new ArrayList<>();
    int[] y = new int[rows];
    for (int i = 0; i < rows; i++) {
      ids.add(d.ids().get(idx[i]));
      y[i] = d.labels()[idx[i]];
    }
    ColumnBlock a = d.labelParty().select(idx);
    ColumnBlock b = d.featureParty().select(idx);
    return new VerticalDataset(ids, a, b, y);
  }
}
