package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.FlException;
import dev.starling.server.RoundListener;
import dev.starling.server.RoundLoop;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A server that requires client-side privacy says so in every Welcome; a client whose trainer can apply
 * it is built with it, and one that cannot never trains.
 */
class ClientDpWelcomeTest {
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private FederationServer server() {
    FederationServer s = new FederationServer(ServerSettings.loopback(0, "test", "fedavg"));
    s.requireClientDp("local:1.0,0.8", true);
    closeMe.add(s.start());
    return s;
  }

  /** Runs a client in the background; the future completes with what ended its run (null: it returned). */
  private CompletableFuture<Throwable> run(FederationServer server, String id, Trainer.Factory factory) {
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), id)
        .withGiveUpAfter(Duration.ofSeconds(5)), factory);
    return BackgroundClient.start(c, id, closeMe);
  }

  @Test
  void welcome_carriesTheClientDpAndACapableTrainerIsBuiltWithIt() throws Exception {
    FederationServer server = server();
    CompletableFuture<String> seen = new CompletableFuture<>();
    run(server, "capable", new Trainer.Factory() {
      @Override
      public Trainer create(String model, String strategy) {
        throw new AssertionError("the privacy-aware create must be called");
      }

      @Override
      public Trainer create(String model, String strategy, String clientDp, boolean seededNoise) {
        seen.complete(clientDp + "|" + seededNoise);
        return LoopbackFederationTest.adding(1f, 1);
      }
    });
    assertThat(seen.get(10, TimeUnit.SECONDS)).isEqualTo("local:1.0,0.8|true");
  }

  @Test
  void aTrainerThatCannotApplyItRefusesAndIsNeverAggregated() throws Exception {
    FederationServer server = server();
    // the default create(model, strategy, clientDp, seeded) refuses a run that requires client-side privacy
    Throwable plainEnded = run(server, "plain", (m, s) -> LoopbackFederationTest.adding(100f, 1)).get(20, TimeUnit.SECONDS);
    assertThat(plainEnded).isNotNull();
    Throwable cause = plainEnded;
    while (!(cause instanceof FlException) && cause.getCause() != null) {
      cause = cause.getCause();
    }
    assertThat(cause).isInstanceOfSatisfying(FlException.class,
        e -> assertThat(e.getMessage()).contains("requires client-side privacy 'local:1.0,0.8'"));
    // the refusal ends the client at once; the server drops its session when the cancel arrives
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (server.pool().available().stream().anyMatch(c -> c.id().value().equals("plain")) && System.nanoTime() < until) {
      Thread.onSpinWait();
    }
    assertThat(server.pool().available()).noneMatch(c -> c.id().value().equals("plain"));

    run(server, "capable", new Trainer.Factory() {
      @Override
      public Trainer create(String model, String strategy) {
        throw new AssertionError();
      }

      @Override
      public Trainer create(String model, String strategy, String clientDp, boolean seededNoise) {
        return LoopbackFederationTest.adding(1f, 1);
      }
    });
    List<RoundRecord> records = new CopyOnWriteArrayList<>();
    RoundLoop.Result r = new RoundLoop(server.wrap(new FedAvg()), server.pool(),
        LoopbackFederationTest.loop(1, 1, Duration.ofSeconds(10)), new RoundListener() {
          @Override
          public void onRoundEnd(RoundRecord rec) {
            records.add(rec);
          }
        }).run(LoopbackFederationTest.initial(100));
    assertThat(records).hasSize(1);
    assertThat(records.get(0).clientsSucceeded()).isEqualTo(1);
    assertThat(r.global().get("b").data()).containsExactly(1.5f, 0.5f); // the capable client's +1, not +100
  }
}
