package dev.starling.transport.grpc.server;

import static dev.starling.transport.grpc.server.LoopbackFederationTest.adding;
import static dev.starling.transport.grpc.server.LoopbackFederationTest.initial;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.starling.server.FoldOrder;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundLoopConfig;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Selection order holds every update of a round until all arrived, each in one of the server's upload slots: a
 * round with more clients than slots used to wait (up to the round timeout) for a slot its own updates held.
 */
class SelectionOrderUploadSlotsTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private FederationServer serverWithClients(int slots, int clients) throws InterruptedException {
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")
        .withLimits(1L << 31, slots, Duration.ofMinutes(1))).start();
    closeMe.add(server);
    for (int i = 0; i < clients; i++) {
      FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), "c" + i)
          .withGiveUpAfter(Duration.ofSeconds(20)), (m, s) -> adding(1f, 10));
      closeMe.add(c);
      Thread th = Thread.ofPlatform().daemon().name("slots-client-" + i).start(() -> {
        try {
          c.run();
        } catch (RuntimeException e) {
          // the test asserts on the round loop's outcome
        }
      });
      closeMe.add(th::interrupt);
    }
    SecureAggregationLoopbackTest.awaitClients(server, clients);
    return server;
  }

  private static RoundLoopConfig loop(FoldOrder order) {
    // the minimum (one client) fits in one slot; the round selects all three connected clients
    return RoundLoopConfig.builder().rounds(1).fractionFit(1.0).minFitClients(1).minAvailableClients(1)
        .roundTimeout(Duration.ofMinutes(5)).availabilityTimeout(Duration.ofSeconds(20)).foldOrder(order).build();
  }

  @Test
  void selectionOrder_withFewerUploadSlotsThanClients_failsAtOnceNamingBothNumbers() throws Exception {
    FederationServer server = serverWithClients(1, 3);
    RoundLoop loop = new RoundLoop(server.wrap(new FedAvg()), server.pool(), loop(FoldOrder.SELECTION), RoundListener.NONE);
    // the timeout only guards against the old wait: the refusal comes before any task goes out
    assertTimeoutPreemptively(Duration.ofSeconds(30), () -> assertThatThrownBy(() -> loop.run(initial(8)))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("round 1 selects 3 clients and the server has 1 upload slots")
        .hasMessageContaining("maxConcurrentUploads"));
    assertThat(server.uploadsInFlight()).isZero();
  }

  @Test
  void arrivalOrder_withOneUploadSlot_foldsEveryClient() throws Exception {
    FederationServer server = serverWithClients(1, 3);
    RoundLoop.Result r = assertTimeoutPreemptively(Duration.ofSeconds(30), () -> new RoundLoop(server.wrap(new FedAvg()),
        server.pool(), loop(FoldOrder.ARRIVAL), RoundListener.NONE).run(initial(8)));
    assertThat(r.history().rounds().get(0).clientsSucceeded()).isEqualTo(3);
  }
}
