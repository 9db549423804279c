package dev.starling.vertical;

import dev.starling.core.random.RandomSource;
import dev.starling.learners.Evaluation;
import dev.starling.privacy.he.Paillier;
import dev.starling.vertical.data.PartyTable;
import dev.starling.vertical.data.VerticalDataset;
import dev.starling.vertical.link.InProcessLink;
import dev.starling.vertical.lr.LogisticRegression;
import dev.starling.vertical.lr.VerticalLogisticRegression;
import dev.starling.vertical.psi.Psi;
import dev.starling.vertical.psi.PsiParty;
import dev.starling.vertical.splitnn.SplitNn;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.EnumSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * Both parties of a vertical run in one JVM, joined by an {@link InProcessLink} and each on its own thread, so
 * the protocols, their bytes and their time are the real ones: PSI of the two parties' ids, then the chosen
 * models on the intersected rows, each beside its baselines (the centralised model on all columns and the
 * label party alone, trained with the same split, batch order and settings). Not thread-safe.
 */
public final class VerticalSimulation {
  /** The models a simulation can run. */
  public enum Model { LR, SPLITNN }

  /**
   * The settings of a simulated run.
   *
   * @param training split, epochs, batch, learning rate, seed
   * @param overlap share of the rows each party holds (independently), in (0, 1]
   * @param hidden hidden widths of the bottom models (and of the centralised MLP's first layers)
   * @param embed cut-layer width of each bottom model
   * @param topHidden hidden widths of the top model
   * @param paillierBits Paillier modulus size of vertical LR
   */
  public record Settings(VerticalConfig training, double overlap, int[] hidden, int embed, int[] topHidden, int paillierBits) {}

  /**
   * One line of results.
   *
   * @param name what ran
   * @param accuracy test accuracy at threshold 0.5
   * @param auc test ROC AUC
   * @param bytesPerEpoch payload bytes both ways per epoch (0 for one-party models)
   * @param secondsPerEpoch wall seconds per epoch
   */
  public record Row(String name, double accuracy, double auc, double bytesPerEpoch, double secondsPerEpoch) {}

  /**
   * What the PSI did.
   *
   * @param labelIds ids at the label party
   * @param featureIds ids at the feature party
   * @param intersection common ids
   * @param seconds wall time
   * @param bytes payload bytes both ways
   */
  public record PsiRow(int labelIds, int featureIds, int intersection, double seconds, long bytes) {}

  /** The results: PSI, then one row per model and baseline. */
  public record Report(PsiRow psi, int trainRows, int testRows, List<Row> rows) {}

  private VerticalSimulation() {}

  /** Runs PSI and {@code models} on {@code data}. */
  public static Report run(VerticalDataset data, Settings s, Set<Model> models, RandomSource rng) {
    PartyTable[] parties = data.parties(s.overlap(), rng.derive(10));
    InProcessLink[] link = InProcessLink.pair("label party", "feature party", Duration.ofMinutes(30));
    long t0 = System.nanoTime();
    PsiParty lp = new PsiParty("label party", parties[0].ids(), RandomSource.secure());
    PsiParty fp = new PsiParty("feature party", parties[1].ids(), RandomSource.secure());
    CompletableFuture<List<String>> follower = CompletableFuture.supplyAsync(() -> Psi.follow(fp, link[1]));
    List<String> common = Psi.lead(lp, link[0]);
    follower.join();
    PsiRow psi = new PsiRow(lp.size(), fp.size(), common.size(), (System.nanoTime() - t0) / 1e9,
        link[0].bytesSent() + link[1].bytesSent());
    PartyTable label = parties[0].align(common);
    PartyTable feature = parties[1].align(common);
    ColumnBlock all = ColumnBlock.hstack(label.x(), feature.x());
    int[] y = label.labels();
    VerticalConfig cfg = s.training();
    int[] test = cfg.testIndex(common.size());
    int[] testY = java.util.Arrays.stream(test).map(i -> y[i]).toArray();
    List<Row> rows = new ArrayList<>();
    int epochs = cfg.epochs();
    if (models.contains(Model.LR)) {
      rows.add(timed("centralised LR, all columns", epochs, testY, () -> LogisticRegression.train(all, y, cfg).predict(all.select(test))));
      rows.add(timed("label party alone LR", epochs, testY,
          () -> LogisticRegression.train(label.x(), y, cfg).predict(label.x().select(test))));
      Paillier.KeyPair keys = Paillier.generate(s.paillierBits(), new SecureRandom());
      InProcessLink[] l = InProcessLink.pair("label party", "feature party", Duration.ofMinutes(30));
      CompletableFuture<float[]> f = CompletableFuture.supplyAsync(
          () -> VerticalLogisticRegression.feature(feature.x(), l[1], new SecureRandom()));
      VerticalLogisticRegression.LabelResult r = VerticalLogisticRegression.label(label.x(), y, cfg, keys, l[0], new SecureRandom());
      f.join();
      rows.add(vertical("vertical LR (Paillier " + s.paillierBits() + ")", r.testScores(), r.testLabels(), r.epochs()));
    }
    if (models.contains(Model.SPLITNN)) {
      int[] centralHidden = concat(s.hidden(), s.topHidden());
      rows.add(timed("centralised MLP, all columns", epochs, testY,
          () -> SplitNn.centralised(all, y, cfg, centralHidden, rng.derive(20))));
      rows.add(timed("label party alone MLP", epochs, testY,
          () -> SplitNn.centralised(label.x(), y, cfg, centralHidden, rng.derive(20))));
      InProcessLink[] l = InProcessLink.pair("label party", "feature party", Duration.ofMinutes(30));
      CompletableFuture<Void> f = CompletableFuture.runAsync(() -> SplitNn.feature(feature.x(), s.hidden(), l[1], rng.derive(21)));
      SplitNn.LabelResult r = SplitNn.label(label.x(), y, cfg, new SplitNn.Architecture(s.hidden(), s.embed(), s.embed(),
          s.topHidden()), l[0], rng.derive(22));
      f.join();
      rows.add(vertical("SplitNN", r.testScores(), r.testLabels(), r.epochs()));
    }
    return new Report(psi, common.size() - test.length, test.length, List.copyOf(rows));
  }

  /** Both models. */
  public static Set<Model> all() {
    return EnumSet.allOf(Model.class);
  }

  private static int[] concat(int[] a, int[] b) {
    int[] out = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }

  private static Row timed(String name, int epochs, int[] testY, Supplier<float[]> train) {
    long t0 = System.nanoTime();
    float[] scores = train.get();
    double seconds = (System.nanoTime() - t0) / 1e9;
    return new Row(name, accuracy(scores, testY), Evaluation.auc(scores, testY), 0, seconds / epochs);
  }

  private static Row vertical(String name, float[] scores, int[] labels, List<EpochStats> epochs) {
    double bytes = 0;
    double seconds = 0;
    for (EpochStats e : epochs) {
      bytes += e.bytesSent() + e.bytesReceived();
      seconds += e.seconds();
    }
    return new Row(name, accuracy(scores, labels), Evaluation.auc(scores, labels), bytes / epochs.size(), seconds / epochs.size());
  }

  /** Share of {@code scores} on the right side of 0.5. */
  public static double accuracy(float[] scores, int[] labels) {
    int ok = 0;
    for (int i = 0; i < scores.length; i++) {
      if ((scores[i] >= 0.5f ? 1 : 0) == labels[i]) {
        ok++;
      }
    }
    return scores.length == 0 ? Double.NaN : (double) ok / scores.length;
  }
}
