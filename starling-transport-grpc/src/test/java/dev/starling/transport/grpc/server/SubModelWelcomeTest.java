package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.FlException;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.Trainer;
import dev.starling.transport.grpc.proto.SubModelSetup;
import dev.starling.transport.grpc.wire.SubModelTerms;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import io.grpc.Status;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A server that trains sub-models (protocol v1.4) names them in every Welcome; a client that does not list
 * {@value SubModelTerms#CAPABILITY} is refused at Hello, and a client whose trainer cannot train sub-models leaves
 * rather than train the full model.
 */
class SubModelWelcomeTest {
  private static final SubModelTerms TERMS = new SubModelTerms("fisher:64", 0.25, 0.5, 3, 42, 2.0, 0.5, 1e-5, true);
  private final List<AutoCloseable> closeMe = new ArrayList<>();

  @AfterEach
  void close() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private FederationServer server() {
    FederationServer s = new FederationServer(ServerSettings.loopback(0, "mlp:8", "fedavg"));
    s.trainSubModels(TERMS);
    closeMe.add(s.start());
    return s;
  }

  private CompletableFuture<Throwable> run(FederationServer server, String id, Trainer.Factory factory) {
    FederationClient c = new FederationClient(ClientSettings.of("127.0.0.1", server.port(), id)
        .withGiveUpAfter(Duration.ofSeconds(5)), factory);
    return BackgroundClient.start(c, id, closeMe);
  }

  @Test
  void welcome_carriesTheSubModelTerms_andTheClientId() throws Exception {
    FederationServer server = server();
    CompletableFuture<Trainer.Terms> seen = new CompletableFuture<>();
    run(server, "alice", new Trainer.Factory() {
      @Override
      public Trainer create(String model, String strategy) {
        throw new AssertionError("the terms-aware create must be called");
      }

      @Override
      public Trainer create(Trainer.Terms terms) {
        seen.complete(terms);
        return LoopbackFederationTest.adding(1f, 1);
      }
    });
    Trainer.Terms t = seen.get(10, TimeUnit.SECONDS);
    assertThat(t.subModels()).contains(TERMS);
    assertThat(t.clientId()).isEqualTo("alice");
    assertThat(t.model()).isEqualTo("mlp:8");
  }

  @Test
  void aTrainerWithoutSubModels_leavesInsteadOfTrainingTheFullModel() throws Exception {
    FederationServer server = server();
    Throwable ended = run(server, "plain", (m, s) -> LoopbackFederationTest.adding(100f, 1)).get(20, TimeUnit.SECONDS);
    Throwable cause = ended;
    while (cause != null && !(cause instanceof FlException)) {
      cause = cause.getCause();
    }
    assertThat(cause).isInstanceOf(FlException.class).hasMessageContaining("trains sub-models (fisher:64)");
  }

  @Test
  void aClientWithoutTheCapability_isRefusedAtHello() throws Exception {
    FederationServer server = server();
    ManagedChannel channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
    closeMe.add(() -> channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS));
    RawSession old = RawSession.hello(channel, "old");
    Status s = old.closed.get(10, TimeUnit.SECONDS);
    assertThat(s.getCode()).isEqualTo(Status.Code.FAILED_PRECONDITION);
    assertThat(s.getDescription()).contains("trains sub-models").contains(SubModelTerms.CAPABILITY);
    assertThat(old.inbox).noneMatch(m -> m.hasWelcome());
  }

  @Test
  void terms_roundTripTheirProto_andRefuseBadValuesByName() {
    assertThat(SubModelTerms.fromProto(TERMS.toProto())).isEqualTo(TERMS);
    SubModelSetup bad = TERMS.toProto().toBuilder().setKeepMin(0).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SubModelTerms.fromProto(bad))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("keep range");
    SubModelSetup noNoise = TERMS.toProto().toBuilder().setDpNoise(0).build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> SubModelTerms.fromProto(noNoise))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("noise multiplier");
  }
}
