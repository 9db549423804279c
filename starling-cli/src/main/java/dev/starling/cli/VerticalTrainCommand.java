package dev.starling.cli;

import dev.starling.core.random.RandomSource;
import dev.starling.learners.Evaluation;
import dev.starling.privacy.he.Paillier;
import dev.starling.vertical.EpochStats;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.VerticalSimulation;
import dev.starling.vertical.data.PartyTable;
import dev.starling.vertical.link.PartyLink;
import dev.starling.vertical.lr.VerticalLogisticRegression;
import dev.starling.vertical.psi.Psi;
import dev.starling.vertical.psi.PsiParty;
import dev.starling.vertical.splitnn.SplitNn;
import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code starling vertical train}: one party of a vertical run: PSI on the ids, then training on the common rows. */
@Command(name = "train", mixinStandardHelpOptions = true,
    description = {"One party of vertical training. Both parties run PSI on the id column, then train on the common rows:",
        "lr = logistic regression with the feature party's gradient under Paillier; splitnn = split neural network.",
        "The label party chooses the settings; the feature party follows them. Columns are standardised locally."})
final class VerticalTrainCommand implements Callable<Integer> {
  enum Role { label, feature }

  enum ModelKind { lr, splitnn }

  @Option(names = "--role", required = true, description = "label (holds the label column) or feature.")
  Role role;

  @Option(names = "--model", required = true, description = "lr or splitnn (both parties must give the same).")
  ModelKind model;

  @Option(names = "--data", required = true, paramLabel = "CSV",
      description = "This party's table: header, an id column, numeric columns (and the label column at the label party).")
  Path data;

  @Option(names = "--id-column", defaultValue = "id", description = "Id column. Default: ${DEFAULT-VALUE}.")
  String idColumn;

  @Option(names = "--label-column", description = "The 0/1 label column (label party only).")
  String labelColumn;

  @Mixin
  VerticalCommand.LinkOptions link = new VerticalCommand.LinkOptions();

  @Mixin
  VerticalCommand.TrainingOptions training = new VerticalCommand.TrainingOptions();

  @Override
  public Integer call() throws IOException {
    link.validate();
    VerticalConfig cfg = training.config();
    if (role == Role.label && labelColumn == null) {
      throw new IllegalArgumentException("--role label needs --label-column");
    }
    if (role == Role.feature && labelColumn != null) {
      throw new IllegalArgumentException("--label-column is for the label party; the feature party holds no labels");
    }
    if (!Files.isReadable(data)) {
      throw new IllegalArgumentException("cannot read --data " + data);
    }
    PartyTable table;
    try (Reader r = Files.newBufferedReader(data, StandardCharsets.UTF_8)) {
      table = PartyTable.parse(r, data.toString(), idColumn, Optional.ofNullable(labelColumn));
    }
    if (role == Role.feature && table.x().cols() == 0) {
      throw new IllegalArgumentException(data + ": the feature party has no columns besides '" + idColumn + "'");
    }
    Paillier.KeyPair keys = role == Role.label && model == ModelKind.lr
        ? Paillier.generate(training.paillierBits, new SecureRandom()) : null;
    try (PartyLink l = link.open()) {
      long t0 = System.nanoTime();
      PsiParty self = new PsiParty(role + " party", table.ids(), RandomSource.secure());
      List<String> common = link.leads() ? Psi.lead(self, l) : Psi.follow(self, l);
      System.out.printf(Locale.ROOT, "PSI: %d own rows, %d common; %.1f s%n", table.ids().size(), common.size(),
          (System.nanoTime() - t0) / 1e9);
      PartyTable aligned = table.align(common).standardized();
      RandomSource rng = RandomSource.seeded(cfg.seed());
      if (role == Role.feature) {
        if (model == ModelKind.lr) {
          VerticalLogisticRegression.feature(aligned.x(), l, new SecureRandom());
        } else {
          SplitNn.feature(aligned.x(), training.hidden, l, rng.derive(21));
        }
        System.out.printf(Locale.ROOT, "done: %.2f MB sent, %.2f MB received%n", l.bytesSent() / 1e6, l.bytesReceived() / 1e6);
        return 0;
      }
      float[] scores;
      int[] labels;
      List<EpochStats> epochs;
      if (model == ModelKind.lr) {
        VerticalLogisticRegression.LabelResult r = VerticalLogisticRegression.label(aligned.x(), aligned.labels(), cfg, keys, l,
            new SecureRandom());
        scores = r.testScores();
        labels = r.testLabels();
        epochs = r.epochs();
      } else {
        SplitNn.LabelResult r = SplitNn.label(aligned.x(), aligned.labels(), cfg, new SplitNn.Architecture(training.hidden,
            training.embed, training.embed, training.topHidden), l, rng.derive(22));
        scores = r.testScores();
        labels = r.testLabels();
        epochs = r.epochs();
      }
      System.out.println("epoch | train_loss | MB sent | MB received | seconds");
      for (EpochStats e : epochs) {
        System.out.printf(Locale.ROOT, "%5d | %10.4f | %7.2f | %11.2f | %7.1f%n", e.epoch(), e.trainLoss(), e.bytesSent() / 1e6,
            e.bytesReceived() / 1e6, e.seconds());
      }
      System.out.printf(Locale.ROOT, "test rows %d: accuracy %.4f, AUC %.4f%n", scores.length,
          VerticalSimulation.accuracy(scores, labels), Evaluation.auc(scores, labels));
      return 0;
    } finally {
      link.close();
    }
  }
}
