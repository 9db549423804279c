package dev.starling.cli;

import dev.starling.data.LoadedData;
import dev.starling.run.RunSpec;
import dev.starling.run.SimulatedRun;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.StopCondition;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.server.sync.AsyncDriver;
import java.io.PrintStream;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code starling bench sync}: simulated time and uplink bytes to a target accuracy, and the accuracy at a
 * simulated-time horizon, for each synchronisation mode on mnist-10k with heterogeneous clients.
 */
@Command(name = "sync", mixinStandardHelpOptions = true,
    description = {"Synchronisation modes on mnist-10k: 100 clients, speeds lognormal (sigma 1), 10%% of clients 10x",
        "slower; simulated time and uplink bytes to the target accuracy, and accuracy at the time horizon."})
final class SyncBench implements Callable<Integer> {
  @Option(names = "--horizon", paramLabel = "SECONDS", defaultValue = "600",
      description = "Simulated seconds every mode runs for. Default: ${DEFAULT-VALUE}.")
  double horizon;

  @Option(names = "--target", paramLabel = "ACC", defaultValue = "0.85", description = "Target test accuracy. Default: ${DEFAULT-VALUE}.")
  double target;

  @Option(names = "--speed", paramLabel = "DIST", defaultValue = "lognormal:4.6,1",
      description = "Client speed in samples/s (median e^4.6 = 100). Default: ${DEFAULT-VALUE}.")
  String speed;

  @Option(names = "--deadline", paramLabel = "SECONDS", defaultValue = "5",
      description = "Deadline of 'sync with deadline' and of semi-sync. Default: ${DEFAULT-VALUE}.")
  double deadline;

  @Option(names = "--event-threshold", paramLabel = "T", defaultValue = "0.01",
      description = "Relative change below which an event-triggered client skips its upload. Default: ${DEFAULT-VALUE}.")
  double eventThreshold;

  @Mixin
  BenchOptions bench = new BenchOptions();

  private record Mode(String label, String sync, Duration roundTimeout, int concurrency) {}

  @Override
  public Integer call() throws Exception {
    PrintStream out = System.out;
    LoadedData d = bench.load("mnist");
    double h = bench.quick ? Math.min(horizon, 60) : horizon;
    Duration longDeadline = Duration.ofHours(1);
    Duration shortDeadline = Duration.ofMillis((long) (deadline * 1000));
    List<Mode> modes = List.of(new Mode("sync (FedAvg)", "sync", longDeadline, 0),
        new Mode("sync, deadline " + deadline + " s", "sync", shortDeadline, 0),
        new Mode("async:0.6,poly:0.5 (FedAsync)", "async:0.6,poly:0.5", longDeadline, 20),
        new Mode("buffered:10 (FedBuff)", "buffered:10", longDeadline, 20),
        new Mode("semi-sync:" + deadline, "semi-sync:" + deadline, longDeadline, 0),
        new Mode("periodic:" + deadline, "periodic:" + deadline, longDeadline, 20),
        new Mode("event:" + eventThreshold, "event:" + eventThreshold, longDeadline, 0));
    out.printf(Locale.ROOT, "Synchronisation modes on %s%n", d.description());
    out.printf(Locale.ROOT, "mlp:64, 100 clients IID, 10 per round (C 0.1), E 1, B 10, lr 0.1, FedAvg aggregation; clients: speed %s"
        + " samples/s, 10%% of clients 10x slower, link 10 MB/s / 50 ms; horizon %.0f simulated s; seed %d%n", speed, h, bench.seed);
    out.println("async modes: concurrency 20, evaluation at most every 5 simulated s");
    out.println();
    out.printf(Locale.ROOT, "mode                           | s to %.2f | uplink MB to %.2f | final acc | aggregations | uplink MB | wall s%n",
        target, target);
    out.println("-------------------------------+-----------+-------------------+-----------+--------------+-----------+-------");
    for (Mode m : modes) {
      RunSpec spec = BenchRun.of("mlp:64", "iid", 100, 0.1, 1, 10, 0.1, "fedavg", Adversity.none(), 1_000_000, Double.NaN,
          bench.seed).spec();
      spec = spec.withLoop(new RunSpec.Loop(1_000_000, 0.1, 1, OptionalInt.empty(), 1, 0, 0, m.roundTimeout,
          Duration.ofMinutes(10), java.util.OptionalDouble.empty(), OptionalInt.empty()))
          .withPopulation(new RunSpec.Population(100, "iid", 0, Adversity.none(),
              RunSpec.Population.clock(speed, "10/0.05", 0.1, 10)))
          .withSync(RunSpec.SyncMode.parse(m.sync).withConcurrency(m.concurrency));
      long t0 = System.nanoTime();
      History hist;
      try (SimulatedRun sim = SimulatedRun.create(spec, d.train(), d.test(), bench.threads(), false)) {
        RoundLoopConfig l = sim.loopConfig();
        StopCondition time = rs -> rs.isEmpty() || !(rs.get(rs.size() - 1).metric("sim_seconds") >= h) ? Optional.empty()
            : Optional.of("horizon");
        List<StopCondition> stops = new ArrayList<>(l.stopConditions());
        stops.add(time);
        RoundLoopConfig cfg = new RoundLoopConfig(l.rounds(), l.fractionFit(), l.minFitClients(), l.minAvailableClients(),
            l.minSuccessfulClients(), l.fractionEvaluate(), l.roundTimeout(), l.availabilityTimeout(), stops,
            l.trainDefaults(), l.seed(), l.foldOrder(), l.roundRetries());
        hist = spec.sync().synchronous() ? sim.simulation().run(sim.strategy(), cfg, RoundListener.NONE).history()
            : sim.simulation().runAsync(sim.strategy(), cfg, spec.sync().policy(),
                new AsyncDriver.Settings(m.concurrency, OptionalInt.empty(), 5), RoundListener.NONE).history();
      }
      double wall = (System.nanoTime() - t0) / 1e9;
      double reachS = Double.NaN;
      double reachMb = Double.NaN;
      long up = 0;
      double last = Double.NaN;
      for (RoundRecord r : hist.rounds()) {
        up += r.bytesUp();
        double acc = r.metric("test_accuracy");
        if (!Double.isNaN(acc)) {
          last = acc;
          if (Double.isNaN(reachS) && acc >= target) {
            reachS = r.metric("sim_seconds");
            reachMb = up / 1e6;
          }
        }
      }
      out.printf(Locale.ROOT, "%-30s | %9s | %17s | %9.4f | %12d | %9.1f | %6.1f%n", m.label,
          Double.isNaN(reachS) ? "not reached" : String.format(Locale.ROOT, "%.1f", reachS),
          Double.isNaN(reachMb) ? "-" : String.format(Locale.ROOT, "%.1f", reachMb), last, hist.rounds().size(), up / 1e6, wall);
    }
    return 0;
  }
}
