package dev.starling.cli;

import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.LoadedData;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import dev.starling.run.RunAssembler;
import dev.starling.run.RunSpec;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundLoopConfig;
import java.time.Duration;
import java.util.OptionalInt;
import dev.starling.run.SimulatedRun;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundRecord;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import java.util.List;
import java.util.Optional;
import java.util.OptionalDouble;
import java.util.function.UnaryOperator;

/**
 * One simulation inside a benchmark: a {@link RunSpec}, assembled like every other run, so each table row
 * states exactly what ran.
 *
 * @param spec the run
 */
record BenchRun(RunSpec spec) {

  /** The common knobs; everything else has its {@link RunSpec.Defaults} value (no drop-out, no privacy). */
  static BenchRun of(String model, String partition, int clients, double fraction, int epochs, int batch, double lr,
      String strategy, Adversity adversity, int rounds, double target, long seed) {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(rounds).withFraction(fraction).withMinClients(1)
        .withTargetAccuracy(Double.isNaN(target) ? OptionalDouble.empty() : OptionalDouble.of(target));
    return new BenchRun(RunSpec.defaults().withModel(model).withStrategy(strategy).withSeed(seed)
        .withTraining(new RunSpec.Training(epochs, batch, lr, 0, 0)).withLoop(loop)
        .withPopulation(new RunSpec.Population(clients, partition, 0, adversity)));
  }

  BenchRun with(UnaryOperator<RunSpec> change) {
    return new BenchRun(change.apply(spec));
  }

  /** Runs on {@code data} with {@code threads} workers and returns the history. */
  History run(LoadedData data, int threads) {
    return run(data, threads, false);
  }

  /**
   * Runs on {@code data}; with {@code globalTrainLoss} the server also evaluates each round's global model
   * on the union of the clients' training data ({@code global_train_loss}), the quantity the FedProx
   * paper plots. A research-only metric: a real server never sees that data.
   */
  History run(LoadedData data, int threads, boolean globalTrainLoss) {
    ModelSpec model = ModelSpec.parse(spec.model());
    UnaryOperator<Strategy> extra = !globalTrainLoss ? UnaryOperator.identity() : s -> new ForwardingStrategy(s) {
      @Override
      public Optional<Metrics> evaluate(int round, ParameterSet global) {
        Metrics own = super.evaluate(round, global).orElse(Metrics.empty());
        double loss = Evaluation.evaluate(model, global, data.train()).loss();
        return Optional.of(own.with(Metrics.of("global_train_loss", loss)));
      }
    };
    try (SimulatedRun sim = SimulatedRun.create(spec, data.train(), data.test(), threads, false, extra)) {
      return sim.run(RoundListener.NONE).history();
    }
  }

  /**
   * The networked benchmarks' run: FedAvg, {@code rounds} rounds plus one warm-up, every one of
   * {@code clients} clients in every round, long deadlines, folded in arrival order; assembled like a
   * server's run. The model is the benchmark's own flat vector, so the spec's model is a placeholder.
   */
  static RunAssembler.Assembly networked(int rounds, int clients, RoundLoopConfig[] loop) {
    RunSpec.Loop l = new RunSpec.Loop(rounds + 1, 1.0, clients, OptionalInt.of(clients), 1, 0, 0, Duration.ofMinutes(10),
        Duration.ofMinutes(2), OptionalDouble.empty(), OptionalInt.empty());
    RunSpec spec = RunSpec.defaults().withModel("logreg").withStrategy("fedavg").withLoop(l);
    RunAssembler.Assembly a = RunAssembler.assemble(spec, RunAssembler.Target.SERVER);
    loop[0] = RunAssembler.loopConfig(spec, a.stopConditions(l), FoldOrder.ARRIVAL, 0);
    return a;
  }

  /** Mean of metric {@code name} over the last {@code k} rounds (smooths round-to-round noise). */
  static double tailMean(History h, String name, int k) {
    List<RoundRecord> r = h.rounds();
    double s = 0;
    int n = 0;
    for (int i = Math.max(0, r.size() - k); i < r.size(); i++) {
      double v = r.get(i).metric(name);
      if (!Double.isNaN(v)) {
        s += v;
        n++;
      }
    }
    return n == 0 ? Double.NaN : s / n;
  }
}
