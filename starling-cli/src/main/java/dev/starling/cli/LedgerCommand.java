package dev.starling.cli;

import dev.starling.ledger.Block;
import dev.starling.ledger.Digests;
import dev.starling.ledger.LedgerVerifier;
import dev.starling.ledger.ModelStore;
import dev.starling.ledger.ModelVerifier;
import dev.starling.ledger.RoundEntry;
import dev.starling.ledger.ratis.LedgerNode;
import dev.starling.ledger.ratis.LedgerPeers;
import dev.starling.ledger.ratis.RaftLedger;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code starling ledger verify|show DIR}: checks and prints a run's ledger. */
@Command(name = "ledger", mixinStandardHelpOptions = true, description = "Checks or prints a run's tamper-evident ledger.",
    subcommands = {LedgerCommand.Verify.class, LedgerCommand.Show.class, LedgerCommand.Node.class})
final class LedgerCommand {
  private LedgerCommand() {}

  private static Optional<byte[]> expectedKey(CommandLine cmd, Path keyFile) {
    if (keyFile == null) {
      return Optional.empty();
    }
    try {
      List<String> lines = Files.readAllLines(keyFile);
      // the aggregator key file (private, public) or a file holding just the base64 public key
      return Optional.of(Base64.getDecoder().decode(lines.get(lines.size() - 1).strip()));
    } catch (Exception e) {
      throw new CommandLine.ParameterException(cmd, "--key " + keyFile + ": not a base64 Ed25519 public key (" + e.getMessage() + ")");
    }
  }

  @Command(name = "verify", mixinStandardHelpOptions = true,
      description = {"Re-checks the chain, every aggregator and client signature and the model digests.",
          "Exit 0 and a summary when all holds; exit 1 naming the first bad block and field."})
  static final class Verify implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR|raft://id=host:port,...", description = "Ledger directory (or its ledger.bin), or the"
        + " ledger nodes to read the chain from.")
    String where;

    @Option(names = "--key", paramLabel = "FILE", description = "Expected aggregator public key (its key file, or a file with the base64 X.509 key).")
    Path key;

    @Option(names = "--models", paramLabel = "DIR", description = "The updates and models kept by --ledger-keep-updates:"
        + " also check that each digest names a file with that content and, for FedAvg runs, that each recorded global"
        + " model is the example-weighted average of the round's recorded updates.")
    Path models;

    @Override
    public Integer call() throws Exception {
      PrintStream out = spec.commandLine().getOut() == null ? System.out : new PrintStream(System.out, true);
      ModelStore store = null;
      if (models != null) {
        try {
          store = ModelStore.open(models);
        } catch (java.io.IOException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), "--models: " + e.getMessage());
        }
      }
      Optional<byte[]> expected = expectedKey(spec.commandLine(), key);
      LedgerVerifier.Result r;
      if (where.startsWith(LedgerOptions.RAFT)) {
        LedgerPeers peers;
        try {
          peers = LedgerPeers.parse(where.substring(LedgerOptions.RAFT.length()));
        } catch (RuntimeException e) {
          throw new CommandLine.ParameterException(spec.commandLine(), where + ": " + e.getMessage());
        }
        RaftLedger.Options o = RaftLedger.Options.defaults().withNotices(m -> System.err.println("warning: " + m));
        r = LedgerVerifier.verifyPayloads(RaftLedger.readChain(peers, o), expected);
      } else {
        Path dir = Path.of(where);
        if (!Files.exists(dir)) {
          throw new CommandLine.ParameterException(spec.commandLine(), "DIR " + dir + " does not exist");
        }
        r = LedgerVerifier.verify(dir, expected);
      }
      if (r.ok() && store != null) {
        ModelVerifier.Result m = ModelVerifier.verify(r.blocks(), store);
        if (!m.ok()) {
          System.err.println("error: " + where + " with " + models + ": " + m.describe());
          return 1;
        }
        out.println(r.describe());
        out.println(m.describe());
        return 0;
      }
      if (r.ok()) {
        out.println(r.describe());
        return 0;
      }
      System.err.println("error: " + where + ": " + r.describe());
      return 1;
    }
  }

  @Command(name = "node", mixinStandardHelpOptions = true,
      description = {"Runs one ledger node: a member of the Raft group (Apache Ratis, gRPC) that replicates the aggregator's",
          "blocks into DIR/ledger.bin (the Raft log in DIR/raft). Start one per id in --peers; the server appends with",
          "--ledger raft://<the same list>. Runs until stopped; restart it on the same DIR to rejoin."})
  static final class Node implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--id", required = true, paramLabel = "ID", description = "This node's id, one of those in --peers.")
    String id;

    @Option(names = "--peers", required = true, paramLabel = "id=host:port,...", description = "Every ledger node of the group,"
        + " this one included (the same list on every node and on the server).")
    String peersSpec;

    @Option(names = "--dir", required = true, paramLabel = "DIR", description = "This node's state (created if absent).")
    Path dir;

    @Override
    public Integer call() throws Exception {
      LedgerPeers peers;
      try {
        peers = LedgerPeers.parse(peersSpec);
      } catch (RuntimeException e) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--peers: " + e.getMessage());
      }
      if (peers.find(id).isEmpty()) {
        throw new CommandLine.ParameterException(spec.commandLine(), "--id " + id + " is not in --peers " + peers);
      }
      RunChecks.requireWritableDirectory(spec.commandLine(), "--dir", dir);
      LedgerNode node = LedgerNode.start(id, peers, dir, LedgerNode.Timing.defaults());
      java.util.concurrent.CountDownLatch stopped = new java.util.concurrent.CountDownLatch(1);
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        node.close();
        stopped.countDown();
      }, "ledger-node-shutdown"));
      System.out.printf(Locale.ROOT, "ledger node %s listening on %s, %d blocks in %s, group of %d (quorum %d)%n", id,
          peers.find(id).get().address(), node.blocks().size(), dir.resolve(dev.starling.ledger.FileLedger.FILE),
          peers.peers().size(), peers.quorum());
      System.out.flush();
      stopped.await();
      return 0;
    }
  }

  @Command(name = "show", mixinStandardHelpOptions = true, description = "Prints the blocks as a table, or JSON with --json.")
  static final class Show implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Parameters(paramLabel = "DIR", description = "Ledger directory (or its ledger.bin).")
    Path dir;

    @Option(names = "--json", description = "One JSON object per block (JSON Lines).")
    boolean json;

    @Override
    public Integer call() throws Exception {
      PrintStream out = spec.commandLine().getOut() == null ? System.out : new PrintStream(System.out, true);
      if (!Files.exists(dir)) {
        throw new CommandLine.ParameterException(spec.commandLine(), "DIR " + dir + " does not exist");
      }
      LedgerVerifier.Result r = LedgerVerifier.verify(dir, Optional.empty());
      if (!json) {
        out.printf(Locale.ROOT, "%5s %5s %-13s %-13s %5s %5s %5s  %s%n", "block", "round", "model_before", "model_after",
            "acc", "rej", "flags", "rewards");
      }
      for (Block b : r.blocks()) {
        out.println(json ? json(b) : row(b));
      }
      if (!r.ok()) {
        System.err.println("error: " + dir + ": " + r.describe() + " (blocks from there on not shown)");
        return 1;
      }
      return 0;
    }

    private static String row(Block b) {
      RoundEntry e = b.body();
      StringBuilder rewards = new StringBuilder();
      for (RoundEntry.Contribution c : e.contributions()) {
        rewards.append(String.format(Locale.ROOT, "%s%s=%.4g", rewards.isEmpty() ? "" : " ", c.client(), c.reward()));
      }
      String free = e.flags().stream().filter(f -> !f.kind().equals("down-weighted") && !f.kind().equals("clipped"))
          .map(f -> f.client() + ":" + f.kind()).reduce((x, y) -> x + " " + y).map(s -> "  [" + s + "]").orElse("");
      return String.format(Locale.ROOT, "%5d %5d %-13s %-13s %5d %5d %5d  %s%s", b.index(), e.round(),
          Digests.hex(e.modelBefore()).substring(0, 12), Digests.hex(e.modelAfter()).substring(0, 12),
          e.participants().size(), e.rejected().size(), e.flags().size(), rewards, free);
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

    private static String json(Block b) {
      RoundEntry e = b.body();
      var o = MAPPER.createObjectNode();
      o.put("index", b.index()).put("round", e.round()).put("time_millis", b.timeMillis())
          .put("hash", Digests.hex(b.hash())).put("previous_hash", Digests.hex(b.previousHash()))
          .put("config_hash", Digests.hex(e.configHash())).put("model_before", Digests.hex(e.modelBefore()))
          .put("model_after", Digests.hex(e.modelAfter()));
      var parts = o.putArray("participants");
      for (RoundEntry.Participant p : e.participants()) {
        parts.addObject().put("client", p.client()).put("update_hash", Digests.hex(p.updateHash()))
            .put("examples", p.examples()).put("signed", p.signed());
      }
      var rejected = o.putArray("rejected");
      for (RoundEntry.Rejection x : e.rejected()) {
        rejected.addObject().put("client", x.client()).put("code", x.code()).put("reason", x.reason());
      }
      var flags = o.putArray("flags");
      for (RoundEntry.Flag f : e.flags()) {
        flags.addObject().put("client", f.client()).put("kind", f.kind()).put("detail", f.detail());
      }
      o.put("contribution_method", e.contributionMethod());
      var cs = o.putArray("contributions");
      for (RoundEntry.Contribution c : e.contributions()) {
        var n = cs.addObject().put("client", c.client());
        num(n, "score", c.score());
        num(n, "reward", c.reward());
      }
      num(o, "epsilon_spent", e.epsilonSpent());
      return o.toString();
    }

    private static void num(com.fasterxml.jackson.databind.node.ObjectNode n, String field, double d) {
      if (Double.isFinite(d)) {
        n.put(field, d);
      } else {
        n.putNull(field);
      }
    }
  }
}
