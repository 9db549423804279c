package dev.starling.transport.grpc.server;

import static dev.starling.transport.grpc.server.SecureAggregationLoopbackTest.adding;
import static dev.starling.transport.grpc.server.SecureAggregationLoopbackTest.assertUniformMean;
import static dev.starling.transport.grpc.server.SecureAggregationLoopbackTest.awaitClients;
import static dev.starling.transport.grpc.server.SecureAggregationLoopbackTest.loop;
import static dev.starling.transport.grpc.server.SecureAggregationLoopbackTest.run;
import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.privacy.secagg.SecAggAuth;
import dev.starling.server.RoundRecord;
import dev.starling.strategy.FedAvg;
import dev.starling.transport.grpc.client.ClientSettings;
import dev.starling.transport.grpc.client.FederationClient;
import dev.starling.transport.grpc.client.SecAggIdentity;
import dev.starling.transport.grpc.client.Trainer;
import java.security.KeyPair;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Authenticated secure aggregation over real gRPC on 127.0.0.1: every client signs its keys with its
 * Ed25519 identity key, the server checks them against the registered public keys, and the survivors sign
 * the survivor list before unmasking (the consistency check, as an extra round of protocol messages).
 */
@Timeout(60)
class AuthenticatedSecAggLoopbackTest {
  private static final SecureRandom RNG = new SecureRandom();
  private final List<AutoCloseable> closeMe = new ArrayList<>();
  private final Map<String, KeyPair> identities = new HashMap<>();
  private final Map<String, PublicKey> registry = new HashMap<>();

  @AfterEach
  void tearDown() throws Exception {
    for (int i = closeMe.size() - 1; i >= 0; i--) {
      closeMe.get(i).close();
    }
  }

  private void register(String... ids) {
    for (String id : ids) {
      KeyPair kp = SecAggAuth.newIdentity(RNG);
      identities.put(id, kp);
      registry.put(id, kp.getPublic());
    }
  }

  private FederationServer server(Map<String, PublicKey> serverRegistry) {
    FederationServer s = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")
        .withHeartbeat(Duration.ofMillis(500)).withLimits(1L << 24, 2, Duration.ofSeconds(20))).start();
    s.enableSecureAggregation(new SecAggSettings(0.2, 1.0, Duration.ofSeconds(10), Duration.ofSeconds(20), 0)
        .withIdentities(serverRegistry));
    closeMe.add(s);
    return s;
  }

  private FederationClient client(FederationServer server, String id, Trainer t, SecAggIdentity identity) {
    FederationClient c = new FederationClient(new ClientSettings("127.0.0.1", server.port(), id, Optional.empty(),
        Optional.empty(), 1500, Duration.ofMillis(100), Duration.ofSeconds(1), Duration.ofSeconds(20)), (m, s) -> t);
    if (identity != null) {
      c.secAggIdentity(identity);
    }
    closeMe.add(c);
    Thread th = Thread.ofPlatform().daemon().name("client-" + id).start(() -> {
      try {
        c.run();
      } catch (RuntimeException e) {
        // the test asserts on the server's records
      }
    });
    closeMe.add(th::interrupt);
    return c;
  }

  @Test
  void authenticatedRoundsUnmaskTheRightSum() throws Exception {
    register("c0", "c1", "c2", "c3");
    FederationServer server = server(registry);
    for (int k = 0; k < 4; k++) {
      String id = "c" + k;
      client(server, id, adding(k), new SecAggIdentity(id, identities.get(id), registry));
    }
    awaitClients(server, 4);
    ParameterSet[] global = new ParameterSet[1];
    List<RoundRecord> rounds = run(server, new FedAvg(), loop(2, 4), global);

    assertUniformMean(global[0], new int[] {4, 4});
    for (RoundRecord r : rounds) {
      assertThat(r.failures()).isEmpty();
      assertThat(r.metric("clients_aggregated")).isEqualTo(4);
    }
  }

  @Test
  void clientsWhoseSignatureDoesNotVerifyOrWhoHoldNoIdentity_areDroppedWithTheReason() throws Exception {
    register("c0", "c1", "c2", "c3", "c4", "c5");
    // c4 signs with a key the server does not know: the server's registry holds another key for it
    Map<String, PublicKey> serverRegistry = new HashMap<>(registry);
    serverRegistry.put("c4", SecAggAuth.newIdentity(RNG).getPublic());
    FederationServer server = server(serverRegistry);
    for (int k = 0; k < 5; k++) {
      String id = "c" + k;
      client(server, id, adding(k), new SecAggIdentity(id, identities.get(id), registry));
    }
    client(server, "c5", adding(5), null); // no identity key at all
    awaitClients(server, 6);
    ParameterSet[] global = new ParameterSet[1];
    List<RoundRecord> rounds = run(server, new FedAvg(), loop(1, 6), global);

    RoundRecord r = rounds.get(0);
    assertThat(r.metric("clients_aggregated")).isEqualTo(4);
    Map<String, ClientFailure> byClient = new HashMap<>();
    r.failures().forEach(f -> byClient.put(f.client().value(), f));
    assertThat(byClient).containsOnlyKeys("c4", "c5");
    assertThat(byClient.get("c4").code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(byClient.get("c4").reason()).contains("client c4")
        .contains("its secure aggregation keys are not signed by its registered identity key");
    assertThat(byClient.get("c5").code()).isEqualTo(ErrorCode.PERMISSION_DENIED);
    assertThat(byClient.get("c5").reason()).contains("holds no secure aggregation identity key");
    // the sum is exactly that of c0..c3 (uniform mean of their deltas)
    assertUniformMean(global[0], new int[] {4});
  }
}
