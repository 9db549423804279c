package dev.starling.simulation;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.data.CatalogOptions;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.data.Standardizer;
import dev.starling.learners.ModelSpec;
import dev.starling.simulation.partition.Partitioners;
import java.io.IOException;
import org.junit.jupiter.api.Test;

class AgreedStandardizationTest {
  @Test
  void clientsAndTestSet_useOneStandardizerAgreedFromTheClientsStatistics() throws IOException {
    LoadedData d = DatasetCatalog.resolve("credit-amount", CatalogOptions.defaults());
    // non-IID by quantity, so each client's own statistics differ from the federation's
    SimulationConfig cfg = new SimulationConfig(ModelSpec.logreg(), Partitioners.parse("quantity:1.0"), 6, 0, 1, true, 4);
    try (Simulation sim = new Simulation(cfg, d.train(), d.test())) {
      Standardizer agreed = sim.standardizer().orElseThrow();
      Standardizer union = Standardizer.fit(d.train());
      assertThat(agreed.mean()[0]).isCloseTo(union.mean()[0], within(1e-3f));
      assertThat(agreed.std()[0]).isCloseTo(union.std()[0], within(1e-3f));
      assertThat(agreed.targetMean()).isCloseTo(union.targetMean(), within(1e-6 * Math.abs(union.targetMean())));
      // every client carries the agreed target scale, not its own
      for (VirtualClient c : sim.clients()) {
        Dataset local = c.data();
        assertThat(local.targetOffset()).isEqualTo(agreed.targetMean());
        assertThat(local.targetScale()).isEqualTo(agreed.targetStd());
      }
      assertThat(sim.testSet().targetOffset()).isEqualTo(agreed.targetMean());
      // feature 0 over all clients' standardised rows has mean 0, while single clients' means do not
      double sum = 0;
      long n = 0;
      double maxClientMean = 0;
      for (VirtualClient c : sim.clients()) {
        Dataset local = c.data();
        double s = 0;
        for (int r = 0; r < local.size(); r++) {
          s += local.feature(r, 0);
        }
        sum += s;
        n += local.size();
        maxClientMean = Math.max(maxClientMean, Math.abs(s / Math.max(1, local.size())));
      }
      assertThat(sum / n).isCloseTo(0.0, within(1e-4));
      assertThat(maxClientMean).isGreaterThan(0.01);
    }
  }
}
