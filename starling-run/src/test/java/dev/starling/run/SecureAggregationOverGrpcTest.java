package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;

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
 * Secure aggregation is one decorator over a secure sum, in process or over gRPC, so central DP over secure
 * aggregation works on a networked server too: clients clip before masking (the Welcome names {@code clip:C}), the
 * server noises the unmasked sum and accounts the budget. The same spec (bundled digits, mlp:16, 4 clients all
 * selected, 3 rounds, seeded noise) simulated and over loopback gRPC with the simulation's client datasets gives the
 * same model bit for bit, even in arrival order: the masked sum is a sum of fixed-point integers modulo 2^32, which no
 * fold order changes, and the seeded noise is the same.
 */
class SecureAggregationOverGrpcTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RunSpec spec(RunSpec.Dp dp) {
    RunSpec.Loop loop = RunSpec.Loop.defaults().withRounds(3).withFraction(1.0).withMinClients(4);
    return RunSpec.defaults().withModel("mlp:16").withSeed(7).withLoop(loop)
        .withTraining(new RunSpec.Training(1, 16, 0.1, 0, 0)).withPopulation(RunSpec.Population.of(4, "iid"))
        .withPrivacy(RunSpec.Privacy.none().withSeededNoise(true).withDp(dp)
            .withSecAgg(Optional.of(new RunSpec.SecAgg(0.2, 8))));
  }

  @Test
  void serverAssembly_namesTheClipForTheWelcome_andRunsOverTheNetworkSecureSum() {
    RunAssembler.Assembly a = RunAssembler.assemble(spec(new RunSpec.Dp.Central(0.5, 0.3, false)),
        RunAssembler.Target.SERVER);
    assertThat(a.clientPrivacy()).contains("clip:0.5");
    assertThat(a.networkSecureSum()).isPresent();
    assertThat(a.strategy().describe()).startsWith("SecureAggregation(over gRPC").contains("central DP C=0.5 z=0.3");
    assertThat(a.budgets()).hasSize(1);
    assertThat(RunAssembler.assemble(spec(new RunSpec.Dp.Central(0.5, 0.3, false)), RunAssembler.Target.SIMULATION)
        .clientPrivacy()).isEmpty();
  }

  @Test
  @Timeout(120)
  void centralDpOverSecureAggregation_overGrpc_isTheSimulationBitForBit() throws Exception {
    RunSpec spec = spec(new RunSpec.Dp.Central(0.5, 0.3, false));
    Loopback.Run sim = Loopback.simulate(spec, digits.train(), digits.test());
    Loopback.Run net = Loopback.overGrpc(spec, digits.train(), digits.test(), FoldOrder.ARRIVAL);
    assertThat(net.rounds()).hasSize(3).allMatch(r -> r.metric("clients_aggregated") == 4);
    for (String name : sim.global().names()) {
      assertThat(net.global().get(name).data()).as(name).isEqualTo(sim.global().get(name).data());
    }
    for (int r = 0; r < 3; r++) {
      RoundRecord a = net.rounds().get(r);
      RoundRecord b = sim.rounds().get(r);
      assertThat(a.metric("test_loss")).isEqualTo(b.metric("test_loss"));
      assertThat(a.metric("epsilon")).isPositive().isEqualTo(b.metric("epsilon"));
    }
    // the networked rounds really ran the protocol over the wire
    assertThat(net.rounds().get(0).metric("secagg_bytes_down")).isPositive();
  }
}
