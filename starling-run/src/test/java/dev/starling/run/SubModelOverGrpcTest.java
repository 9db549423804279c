package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.server.FoldOrder;
import dev.starling.server.RoundRecord;
import java.util.Optional;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Sub-models over gRPC compute what the simulation computes: the same spec (bundled digits, mlp:16, 4 clients all
 * selected, 3 rounds, seed 7) simulated and run over loopback gRPC with the simulation's client datasets. Folded in
 * selection order, as the simulation folds, the two give the same model bit for bit; folded in arrival order (the
 * server's default) position-wise averaging sums the clients' updates in double precision in another order, which
 * may move a coordinate by about one float32 ulp per round, hence the small tolerance there.
 */
class SubModelOverGrpcTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RunSpec spec(String policy, double keep, RunSpec.Dp dp) {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(3).withFraction(1.0).withMinClients(4);
    return RunSpec.defaults().withModel("mlp:16").withSeed(7).withLoop(loop)
        .withTraining(new RunSpec.Training(1, 16, 0.1, 0, 0)).withPopulation(RunSpec.Population.of(4, "iid"))
        .withPrivacy(RunSpec.Privacy.none().withSeededNoise(true).withDp(dp))
        .withSubModels(Optional.of(new RunSpec.SubModels(policy, keep, keep, 2)));
  }

  private static void assertSameRun(Loopback.Run net, Loopback.Run sim) {
    assertThat(net.rounds()).hasSize(3).allMatch(r -> r.metric("clients_aggregated") == 4);
    for (String name : sim.global().names()) {
      assertThat(net.global().get(name).data()).as(name).isEqualTo(sim.global().get(name).data());
    }
    for (int r = 0; r < 3; r++) {
      RoundRecord a = net.rounds().get(r);
      RoundRecord b = sim.rounds().get(r);
      assertThat(a.metric("test_loss")).as("round %d test loss", r + 1).isEqualTo(b.metric("test_loss"));
      assertThat(a.metric("coordinates_trained")).isEqualTo(b.metric("coordinates_trained"));
    }
  }

  @Test
  @Timeout(120)
  void fisherDropout_overGrpc_isTheSimulationBitForBit_withItsFullModelEveryKSchedule() throws Exception {
    RunSpec spec = spec("fisher", 0.5, new RunSpec.Dp.None());
    Loopback.Run sim = Loopback.simulate(spec, digits.train(), digits.test());
    Loopback.Run net = Loopback.overGrpc(spec, digits.train(), digits.test(), FoldOrder.SELECTION);
    assertSameRun(net, sim);
    // sub-models really were trained: a client trains half of each hidden layer, not the whole model
    assertThat(net.rounds().get(0).metric("mean_trained_fraction")).isBetween(0.3, 0.8);
    assertThat(sim.finalMetric("test_loss")).isLessThan(sim.rounds().get(0).metric("test_loss"));
    // clients that do not offer compact uploads (v1.4 form: full model plus float32 mask) are still served, with
    // the same result; the compact form (trained values plus a position bitmap) sends under half their bytes
    Loopback.Run old = Loopback.overGrpc(spec, digits.train(), digits.test(), FoldOrder.SELECTION, false);
    assertSameRun(old, sim);
    long compactUp = net.rounds().stream().mapToLong(RoundRecord::bytesUp).sum();
    long fullUp = old.rounds().stream().mapToLong(RoundRecord::bytesUp).sum();
    assertThat(compactUp).isPositive().isLessThan(fullUp / 2);
  }

  @Test
  @Timeout(120)
  void federatedDropoutWithLocalDp_overGrpc_isTheSimulationBitForBit_andReportsItsEpsilon() throws Exception {
    RunSpec spec = spec("federated-dropout", 0.75, new RunSpec.Dp.Local(5, 0.05));
    Loopback.Run sim = Loopback.simulate(spec, digits.train(), digits.test());
    Loopback.Run net = Loopback.overGrpc(spec, digits.train(), digits.test(), FoldOrder.SELECTION);
    assertSameRun(net, sim);
    double eps = net.finalMetric("local_epsilon");
    assertThat(eps).isPositive().isEqualTo(sim.finalMetric("local_epsilon"));
  }

  @Test
  @Timeout(120)
  void arrivalOrder_matchesTheSimulationWithinFloatRounding() throws Exception {
    RunSpec spec = spec("federated-dropout", 0.5, new RunSpec.Dp.None());
    Loopback.Run sim = Loopback.simulate(spec, digits.train(), digits.test());
    Loopback.Run net = Loopback.overGrpc(spec, digits.train(), digits.test(), FoldOrder.ARRIVAL);
    for (String name : sim.global().names()) {
      float[] a = net.global().get(name).data();
      float[] b = sim.global().get(name).data();
      for (int j = 0; j < a.length; j++) {
        assertThat(a[j]).as("%s[%d]", name, j).isCloseTo(b[j], within(1e-5f + 1e-5f * Math.abs(b[j])));
      }
    }
    assertThat(net.finalMetric("test_loss")).isCloseTo(sim.finalMetric("test_loss"), within(1e-4));
  }
}
