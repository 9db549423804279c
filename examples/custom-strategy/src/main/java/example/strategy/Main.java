package example.strategy;

import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.run.RunSpec;
import dev.starling.run.Starling;
import dev.starling.server.RoundLoop;
import dev.starling.simulation.adversary.Adversity;
import dev.starling.simulation.adversary.Attack;
import java.io.IOException;

/**
 * Runs {@code midrange:0.3} by name on the bundled digits: 10 clients of which 2 send sign-flipped updates
 * scaled by 4, against FedAvg under the same attack.
 */
public final class Main {
  private Main() {}

  static RunSpec spec(String strategy, int rounds, long seed) {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(rounds).withFraction(1.0).withMinClients(10);
    return RunSpec.defaults().withModel("mlp:32").withStrategy(strategy).withSeed(seed).withLoop(loop)
        .withPopulation(new RunSpec.Population(10, "iid", 0, new Adversity(Attack.parse("sign-flip:4"), 0.2, 0, false)));
  }

  /** The final test accuracy of {@code strategy} under the attack. */
  public static double accuracy(String strategy, int rounds, long seed) throws IOException {
    LoadedData digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
    RoundLoop.Result r = Starling.simulate(spec(strategy, rounds, seed), digits.train(), digits.test());
    return r.history().last().orElseThrow().metric("test_accuracy");
  }

  public static void main(String[] args) throws Exception {
    System.out.printf("20%% sign-flip x4 attackers, 10 rounds: midrange:0.3 test_accuracy %.3f, fedavg %.3f%n",
        accuracy("midrange:0.3", 10, 1), accuracy("fedavg", 10, 1));
  }
}
