package dev.starling.cli;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.data.LoadedData;
import dev.starling.learners.Evaluation;
import dev.starling.learners.ModelSpec;
import dev.starling.server.History;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoopConfig;
import dev.starling.server.RoundRecord;
import dev.starling.server.StopCondition;
import dev.starling.learners.submodel.SubModelConfig;
import dev.starling.simulation.Communication;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.partition.Partitioners;
import dev.starling.strategy.ForwardingStrategy;
import dev.starling.strategy.Strategy;
import java.util.List;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * One simulation inside a benchmark: every knob explicit, so each table row states exactly what ran.
 *
 * @param model model spec
 * @param partition partition spec
 * @param clients number of clients
 * @param fraction fraction per round
 * @param epochs local epochs
 * @param batch batch size
 * @param lr local learning rate
 * @param strategy a supplier of a fresh strategy (strategies keep state)
 * @param adversity attackers and stragglers
 * @param rounds round budget
 * @param target stop at this test accuracy (NaN: run the whole budget)
 * @param seed seed
 */
record BenchRun(String model, String partition, int clients, double fraction, int epochs, int batch, double lr,
    Supplier<Strategy> strategy, Adversity adversity, int rounds, double target, long seed) {

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
    return run(data, threads, globalTrainLoss, Communication.none(), null);
  }

  /** Runs with codecs on the wire and, unless {@code subModels} is null, sub-model clients. */
  History run(LoadedData data, int threads, boolean globalTrainLoss, Communication communication, SubModelConfig subModels) {
    SimulationConfig cfg = new SimulationConfig(ModelSpec.parse(model), Partitioners.parse(partition), clients, 0, threads,
        false, seed, adversity, communication, subModels);
    TrainConfig train = TrainConfig.builder().localEpochs(epochs).batchSize(batch).learningRate(lr).build();
    List<StopCondition> stops = Double.isNaN(target) ? List.of() : List.of(StopCondition.target("test_accuracy", target, true));
    RoundLoopConfig loop = RoundLoopConfig.builder().rounds(rounds).fractionFit(fraction).trainDefaults(train)
        .stopConditions(stops).seed(seed).build();
    try (Simulation sim = new Simulation(cfg, data.train(), data.test())) {
      Strategy s = strategy.get();
      if (globalTrainLoss) {
        ModelSpec spec = ModelSpec.parse(model);
        s = new ForwardingStrategy(s) {
          @Override
          public Optional<Metrics> evaluate(int round, ParameterSet global) {
            Metrics own = super.evaluate(round, global).orElse(Metrics.empty());
            double loss = Evaluation.evaluate(spec, global, data.train()).loss();
            return Optional.of(own.with(Metrics.of("global_train_loss", loss)));
          }
        };
      }
      return sim.run(s, loop, RoundListener.NONE).history();
    }
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
