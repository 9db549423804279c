package dev.starling.cli;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.Dataset;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import dev.starling.ledger.Digests;
import dev.starling.ledger.Ed25519;
import dev.starling.ledger.FileLedger;
import dev.starling.ledger.Ledger;
import dev.starling.ledger.ModelStore;
import dev.starling.ledger.ratis.LedgerPeers;
import dev.starling.ledger.ratis.RaftLedger;
import dev.starling.ledger.contribution.ContributionMethod;
import dev.starling.ledger.contribution.Contributions;
import dev.starling.server.LedgerRecorder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.util.Map;
import picocli.CommandLine;
import picocli.CommandLine.Option;

/**
 * {@code --ledger DIR|raft://id=host:port,...}, {@code --ledger-key}, {@code --contribution}, {@code
 * --reward-budget}: the run's tamper-evident ledger, in a local file or replicated on ledger nodes.
 */
final class LedgerOptions {
  /** The aggregator's Ed25519 key pair, created in the ledger directory on first use. */
  static final String KEY_FILE = "aggregator.key";
  /** The prefix of a replicated ledger's address. */
  static final String RAFT = "raft://";

  @Option(names = "--ledger", paramLabel = "DIR|raft://id=host:port,...", description = "Append one signed, hash-chained block per"
      + " committed round, to DIR/ledger.bin (the aggregator key is DIR/" + KEY_FILE + ", created if absent) or to the ledger"
      + " nodes given (started with 'starling ledger node'; needs --ledger-key). A round ends only once its block is"
      + " committed; without a quorum of nodes the run pauses until one is back. Check it with 'starling ledger verify'.")
  String ledgerSpec;

  @Option(names = "--ledger-key", paramLabel = "FILE", description = "The aggregator's Ed25519 key pair (created if absent)."
      + " Default with --ledger DIR: DIR/" + KEY_FILE + "; required with --ledger raft://...")
  Path keyFile;

  @Option(names = "--ledger-keep-updates", paramLabel = "DIR", description = "Keep every accepted update and each round's"
      + " global models in DIR (one file per content, named by its SHA-256), so that 'starling ledger verify LEDGER"
      + " --models DIR' can re-aggregate each round (FedAvg) and compare it with the recorded model. Needs --ledger.")
  Path keepUpdates;

  Path ledger;
  LedgerPeers peers;

  @Option(names = "--contribution", paramLabel = "loo|exact|tmc|gtg", description = "Score each round's clients on the server's"
      + " held-out set (utility: minus the loss) and record scores and rewards in the ledger (needs --ledger).")
  String contribution;

  @Option(names = "--reward-budget", paramLabel = "B", defaultValue = "1.0", description = "Reward shared out per round in"
      + " proportion to positive contribution scores. Default: ${DEFAULT-VALUE}.")
  double rewardBudget;

  /** Refuses inconsistent flags as bad usage (exit 2), before any training. */
  void check(CommandLine cmd) {
    if (ledgerSpec != null && ledgerSpec.startsWith(RAFT)) {
      try {
        peers = LedgerPeers.parse(ledgerSpec.substring(RAFT.length()));
      } catch (RuntimeException e) {
        throw new CommandLine.ParameterException(cmd, "--ledger " + ledgerSpec + ": " + e.getMessage());
      }
      if (keyFile == null) {
        throw new CommandLine.ParameterException(cmd, "--ledger raft://... needs --ledger-key FILE (the aggregator's key pair,"
            + " created if absent)");
      }
    } else if (ledgerSpec != null) {
      ledger = Path.of(ledgerSpec);
    }
    if (keepUpdates != null && ledgerSpec == null) {
      throw new CommandLine.ParameterException(cmd, "--ledger-keep-updates needs --ledger");
    }
    if (keepUpdates != null) {
      RunChecks.requireWritableDirectory(cmd, "--ledger-keep-updates", keepUpdates);
    }
    if (keyFile != null && ledgerSpec == null) {
      throw new CommandLine.ParameterException(cmd, "--ledger-key needs --ledger");
    }
    if (keyFile != null) {
      RunChecks.requireWritableDirectory(cmd, "--ledger-key", keyFile.toAbsolutePath().getParent());
    }
    if (contribution != null && ledgerSpec == null) {
      throw new CommandLine.ParameterException(cmd, "--contribution needs --ledger DIR or --ledger raft://...");
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

  /**
   * Opens the ledger (null without --ledger): the file, or a connection to the ledger nodes that has read
   * their chain back (waiting, with a notice on stderr, while no quorum answers).
   */
  Ledger open() {
    if (peers != null) {
      return RaftLedger.open(peers, Ed25519.loadOrCreate(keyFile), Clock.systemUTC(),
          RaftLedger.Options.defaults().withNotices(m -> System.err.println("warning: " + m)));
    }
    return ledger == null ? null : FileLedger.open(ledger, Ed25519.loadOrCreate(keyFile != null ? keyFile
        : ledger.resolve(KEY_FILE)), Clock.systemUTC());
  }

  /** Where the blocks go, for the run's summary. */
  static String where(Ledger opened) {
    return opened instanceof RaftLedger r ? "ledger nodes " + r.peers() + " (quorum " + r.peers().quorum() + ")"
        : ((FileLedger) opened).file().toString();
  }

  /**
   * The recorder for {@code opened}: config hash of {@code configText}, scores on {@code heldOut} when asked,
   * every update signed by its client when {@code clientKeys} (X.509 Ed25519 keys by client) is not empty.
   */
  LedgerRecorder recorder(Ledger opened, String configText, dev.starling.learners.LearnerFactory model, Dataset heldOut,
      long seed, Map<dev.starling.core.message.ClientId, byte[]> clientKeys, String strategy) {
    LedgerRecorder.Scoring scoring = null;
    if (contribution != null) {
      dev.starling.learners.LearnerContext ctx = dev.starling.learners.LearnerContext.of(model.id(), heldOut, seed);
      scoring = new LedgerRecorder.Scoring(ContributionMethod.parse(contribution), Contributions.Settings.defaults(seed),
          (ParameterSet p) -> -model.create(ctx, heldOut).evaluate(p).metrics().getOrNaN(Metrics.LOSS), rewardBudget);
    }
    return new LedgerRecorder(opened, Digests.sha256(configText.getBytes(StandardCharsets.UTF_8)), clientKeys, scoring,
        keepUpdates == null ? null : ModelStore.create(keepUpdates, aggregateRule(strategy)));
  }

  /**
   * {@link ModelStore#FEDAVG} for a strategy whose aggregate verify can recompute: example-weighted FedAvg,
   * possibly evaluated on the server (which does not change the model); else the description itself.
   */
  static String aggregateRule(String strategy) {
    String[] chain = strategy.split(" <- ");
    for (int i = 0; i < chain.length - 1; i++) {
      if (!chain[i].strip().startsWith("ServerEvaluated")) {
        return strategy;
      }
    }
    return chain[chain.length - 1].strip().equals("FedAvg(weighting=examples)") ? ModelStore.FEDAVG : strategy;
  }
}
