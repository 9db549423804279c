package dev.starling.run;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.data.CatalogOptions;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.LoadedData;
import dev.starling.learners.Learners;
import dev.starling.server.FoldOrder;
import dev.starling.transport.grpc.server.ServerSettings;
import java.time.Duration;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** Selection order over gRPC needs an upload slot per client of a round: a spec that cannot have them is refused. */
class NetworkedRunFoldOrderTest {
  private static LoadedData digits;

  @BeforeAll
  static void load() throws Exception {
    digits = DatasetCatalog.resolve("digits", CatalogOptions.defaults());
  }

  private static RunSpec spec(int minClients) {
    return RunSpec.defaults().withModel("logreg").withSeed(1)
        .withLoop(RunSpec.Loop.defaults().withRounds(1).withFraction(1.0).withMinClients(minClients));
  }

  private static ServerSettings slots(int uploads) {
    return ServerSettings.loopback(0, "", "").withLimits(1L << 31, uploads, Duration.ofMinutes(1));
  }

  @Test
  void selectionOrder_refusedBeforeTheServerListens_whenRoundsNeedMoreUploadSlots() {
    assertThatThrownBy(() -> NetworkedRun.start(spec(4), Learners.parse("logreg"), digits.test(), slots(2),
        FoldOrder.SELECTION))
        .isInstanceOf(InvalidRunException.class)
        .hasMessageContaining("4 clients per round")
        .hasMessageContaining("maxConcurrentUploads = 2")
        .satisfies(e -> assertThat(((InvalidRunException) e).setting()).isEqualTo("min-clients"));
  }

  @Test
  void enoughSlots_orArrivalOrder_start() {
    try (NetworkedRun ok = NetworkedRun.start(spec(4), Learners.parse("logreg"), digits.test(), slots(4),
        FoldOrder.SELECTION)) {
      assertThat(ok.port()).isPositive();
    }
    try (NetworkedRun ok = NetworkedRun.start(spec(4), Learners.parse("logreg"), digits.test(), slots(2),
        FoldOrder.ARRIVAL)) {
      assertThat(ok.port()).isPositive();
    }
  }
}
