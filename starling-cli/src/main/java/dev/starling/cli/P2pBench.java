package dev.starling.cli;

import dev.starling.data.LoadedData;
import dev.starling.run.P2pRun;
import dev.starling.run.RunSpec;
import dev.starling.run.SimulatedRun;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.Attack;
import java.io.PrintStream;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code starling bench p2p}: rounds and bytes per peer to a target accuracy for decentralised training on several
 * topologies against FedAvg with a server on the same data; CHOCO-SGD against uncompressed gossip; Byzantine peers
 * with and without robust gossip.
 */
@Command(name = "p2p", mixinStandardHelpOptions = true,
    description = {"Peer-to-peer training on mnist-10k, 16 peers, dirichlet:0.5: rounds and MB sent per peer to the",
        "target accuracy for ring, torus, exponential graph and FedAvg with a server; CHOCO top-1% vs",
        "uncompressed gossip; 2 Byzantine peers of 16 with and without self-centred clipping."})
final class P2pBench implements Callable<Integer> {
  @Option(names = "--target", paramLabel = "ACC", defaultValue = "0.9", description = "Target test accuracy. Default: ${DEFAULT-VALUE}.")
  double target;

  @Option(names = "--rounds", paramLabel = "R", defaultValue = "100", description = "Round budget of each row. Default: ${DEFAULT-VALUE}.")
  int rounds;

  @Option(names = "--peers", paramLabel = "N", defaultValue = "16", description = "Peers (clients). Default: ${DEFAULT-VALUE}.")
  int peers;

  @Option(names = "--attack", paramLabel = "SPEC", defaultValue = "gaussian:1",
      description = "What the 2 Byzantine peers send (" + Attack.FORMS + "). Default: ${DEFAULT-VALUE}.")
  String attack;

  @Mixin
  BenchOptions bench = new BenchOptions();

  /** One row: a label and the spec it runs (p2p empty: FedAvg with a server). */
  private record Row(String label, RunSpec spec) {}

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    LoadedData d = bench.load("mnist");
    int budget = bench.quick ? Math.min(rounds, 5) : rounds;
    RunSpec base = RunSpec.defaults().withModel("mlp:64").withSeed(bench.seed)
        .withTraining(new RunSpec.Training(1, 32, 0.1, 0, 0))
        .withLoop(RunSpec.Loop.defaults().withRounds(budget).withFraction(1.0).withMinClients(peers)
            .withTargetAccuracy(OptionalDouble.of(target)))
        .withPopulation(RunSpec.Population.of(peers, "dirichlet:0.5"));
    Adversity two = dev.starling.run.InvalidRunException.wrapAs("attack", () -> new Adversity(
        Attack.parse(attack), 2.0 / peers, 0, false));
    RunSpec attacked = base.withPopulation(new RunSpec.Population(peers, "dirichlet:0.5", 0, two));
    List<Row> rows = List.of(
        new Row("FedAvg, server (all 16 per round)", base),
        new Row("ring", p2p(base, "ring", "dpsgd", null)),
        new Row("torus", p2p(base, "torus", "dpsgd", null)),
        new Row("exponential", p2p(base, "exponential", "dpsgd", null)),
        new Row("exponential, CHOCO top-10%, g 0.5", p2p(base, "exponential", "choco:0.5", null)
            .withCompression(RunSpec.Compression.of("topk:0.1", "none"))),
        new Row("exponential, CHOCO top-1%, g 0.2", p2p(base, "exponential", "choco:0.2", null)
            .withCompression(RunSpec.Compression.of("topk:0.01", "none"))),
        new Row("exponential, 2 Byzantine", p2p(attacked, "exponential", "dpsgd", null)),
        new Row("exponential, 2 Byzantine, clip", p2p(attacked, "exponential", "dpsgd", "clip")));
    out.printf(Locale.ROOT, "Peer-to-peer training on %s%n", d.description());
    out.printf(Locale.ROOT, "mlp:64, %d peers, dirichlet:0.5, E 1, B 32, lr 0.1, every peer every round, D-PSGD with"
        + " Metropolis-Hastings weights; FedAvg: %d clients per round; budget %d rounds; Byzantine: %s; seed %d%n",
        peers, peers, budget, two.describe(), bench.seed);
    out.println("MB per peer: what one peer sends (FedAvg: one client's uploads; its server also sends the model to"
        + " every client each round)");
    out.println();
    out.printf(Locale.ROOT, "%-34s | rounds to %.2f | MB/peer to %.2f | MB/peer total | best acc | final acc | min peer"
        + " acc | consensus dist | wall s%n", "run", target, target);
    out.println("-----------------------------------+----------------+-----------------+---------------+----------+-----------"
        + "+--------------+----------------+-------");
    for (Row row : rows) {
      long t0 = System.nanoTime();
      History h;
      if (row.spec.p2p().isPresent()) {
        try (P2pRun r = P2pRun.create(row.spec, d.train(), d.test(), bench.threads(), false)) {
          h = r.run(RoundListener.NONE).history();
        }
      } else {
        try (SimulatedRun r = SimulatedRun.create(row.spec, d.train(), d.test(), bench.threads(), false)) {
          h = r.run(RoundListener.NONE).history();
        }
      }
      double wall = (System.nanoTime() - t0) / 1e9;
      boolean p2p = row.spec.p2p().isPresent();
      int reach = -1;
      double mb = 0;
      double reachMb = Double.NaN;
      double best = Double.NaN;
      for (RoundRecord r : h.rounds()) {
        mb += (p2p ? r.metric("bytes_per_peer") : r.bytesUp() / (double) peers) / 1e6;
        double acc = r.metric("test_accuracy");
        best = Double.isNaN(best) || acc > best ? acc : best;
        if (reach < 0 && acc >= target) {
          reach = r.round();
          reachMb = mb;
        }
      }
      RoundRecord last = h.rounds().get(h.rounds().size() - 1);
      out.printf(Locale.ROOT, "%-34s | %14s | %15s | %13.2f | %8.4f | %9.4f | %12s | %14s | %6.1f%n", row.label,
          reach < 0 ? "not in " + h.rounds().size() : Integer.toString(reach),
          reach < 0 ? "-" : String.format(Locale.ROOT, "%.1f", reachMb), mb, best, last.metric("test_accuracy"),
          p2p ? String.format(Locale.ROOT, "%.4f", last.metric("peer_accuracy_min")) : "-",
          p2p ? String.format(Locale.ROOT, "%.3g", last.metric("consensus_distance")) : "-", wall);
    }
    return 0;
  }

  private static RunSpec p2p(RunSpec base, String topology, String gossip, String robust) {
    return base.withP2p(Optional.of(new RunSpec.P2p(topology, gossip, Optional.ofNullable(robust))));
  }
}
