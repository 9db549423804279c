package example.partitioner;

import dev.starling.core.learner.TrainConfig;
import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.ModelSpec;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.simulation.Simulation;
import dev.starling.simulation.SimulationConfig;
import dev.starling.strategy.FedAvg;
import java.io.IOException;

/** Federated training of an MLP on the bundled digits, split among 10 clients by {@link LabelBlocks}. */
public final class Main {
  private Main() {}

  /** Runs {@code rounds} rounds of FedAvg with seed {@code seed}; returns the final test accuracy. */
  public static double run(int rounds, long seed) throws IOException {
    LoadedData digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    SimulationConfig config = new SimulationConfig(ModelSpec.parse("mlp:32"), new LabelBlocks(2), 10, 0.0, 2, false, seed);
    RoundLoopConfig loop = RoundLoopConfig.builder().rounds(rounds).fractionFit(1.0)
        .trainDefaults(TrainConfig.builder().localEpochs(1).batchSize(16).learningRate(0.1).build()).build();
    try (Simulation sim = new Simulation(config, digits.train(), digits.test())) {
      RoundLoop.Result result = sim.run(new FedAvg(), loop, RoundListener.NONE);
      return result.history().last().orElseThrow().metric("test_accuracy");
    }
  }

  public static void main(String[] args) throws IOException {
    double accuracy = run(30, 1);
    System.out.printf("label-blocks:2, 10 clients, FedAvg, 30 rounds: test_accuracy %.3f%n", accuracy);
  }
}
