package dev.starling.cli;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import dev.starling.ledger.Digests;
import dev.starling.ledger.Ed25519;
import dev.starling.ledger.FileLedger;
import dev.starling.ledger.contribution.ContributionMethod;
import dev.starling.ledger.contribution.Contributions;
import dev.starling.server.LedgerRecorder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/** {@code --ledger DIR}, {@code --contribution}, {@code --reward-budget}: the run's tamper-evident ledger. */
final class LedgerOptions {
  /** The aggregator's Ed25519 key pair, created in the ledger directory on first use. */
  static final String KEY_FILE = "aggregator.key";

  @Option(names = "--ledger", paramLabel = "DIR", description = "Append one signed, hash-chained block per committed round to"
      + " DIR/ledger.bin (the aggregator key is DIR/" + KEY_FILE + ", created if absent); check it with 'starling ledger verify DIR'.")
  Path ledger;

  @Option(names = "--contribution", paramLabel = "loo|exact|tmc|gtg", description = "Score each round's clients on the server's"
      + " held-out set (utility: minus the loss) and record scores and rewards in the ledger (needs --ledger).")
  String contribution;

  @Option(names = "--reward-budget", paramLabel = "B", defaultValue = "1.0", description = "Reward shared out per round in"
      + " proportion to positive contribution scores. Default: ${DEFAULT-VALUE}.")
  double rewardBudget;

  /** Refuses inconsistent flags as bad usage (exit 2), before any training. */
  void check(CommandLine cmd) {
    if (contribution != null && ledger == null) {
      throw new CommandLine.ParameterException(cmd, "--contribution needs --ledger DIR");
    }
    if (contribution != null) {
      try {
        ContributionMethod.parse(contribution);
      } catch (RuntimeException e) {
        throw new CommandLine.ParameterException(cmd, "--contribution: " + e.getMessage());
      }
    }
    if (!(rewardBudget >= 0) || Double.isInfinite(rewardBudget)) {
      throw new CommandLine.ParameterException(cmd, "--reward-budget must be a finite number >= 0. Provided value: " + rewardBudget);
    }
    if (ledger != null) {
      RunChecks.requireWritableDirectory(cmd, "--ledger", ledger);
    }
  }

  /** Opens the ledger (null without --ledger). */
  FileLedger open() {
    return ledger == null ? null : FileLedger.open(ledger, Ed25519.loadOrCreate(ledger.resolve(KEY_FILE)), Clock.systemUTC());
  }

  /** The recorder for {@code opened}: config hash of {@code configText}, scores on {@code heldOut} when asked. */
  LedgerRecorder recorder(FileLedger opened, String configText, dev.starling.learners.LearnerFactory model, Dataset heldOut,
      long seed) {
    LedgerRecorder.Scoring scoring = null;
    if (contribution != null) {
      dev.starling.learners.LearnerContext ctx = dev.starling.learners.LearnerContext.of(model.id(), heldOut, seed);
      scoring = new LedgerRecorder.Scoring(ContributionMethod.parse(contribution), Contributions.Settings.defaults(seed),
          (ParameterSet p) -> -model.create(ctx, heldOut).evaluate(p).metrics().getOrNaN(Metrics.LOSS), rewardBudget);
    }
    return new LedgerRecorder(opened, Digests.sha256(configText.getBytes(StandardCharsets.UTF_8)), Map.of(), scoring);
  }
}
