package dev.starling.transport.grpc.peer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Three peers in one JVM, each with its own gRPC server on loopback. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class PeerNodeTest {
  private static final int VALUES = 300_000; // more than one chunk (256 Ki values)
  private final List<PeerNode> nodes = new ArrayList<>();
  private final ExecutorService pool = Executors.newCachedThreadPool();

  @AfterEach
  void close() throws InterruptedException {
    pool.shutdownNow();
    for (PeerNode n : nodes) {
      n.close();
    }
  }

  private static ParameterSet model(float v) {
    float[] a = new float[VALUES];
    java.util.Arrays.fill(a, v);
    a[VALUES - 1] = 10 * v;
    return ParameterSet.of(Tensor.of("w", a, VALUES));
  }

  private static List<PeerNode.Address> addresses(int n) throws IOException {
    List<PeerNode.Address> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      try (ServerSocket s = new ServerSocket(0)) {
        out.add(new PeerNode.Address("p" + i, "127.0.0.1", s.getLocalPort()));
      }
    }
    return out;
  }

  private PeerNode start(List<PeerNode.Address> all, int i, Map<String, String> tokens, Duration timeout)
      throws IOException {
    List<String> nb = new ArrayList<>();
    for (int j = 0; j < all.size(); j++) {
      if (j != i) {
        nb.add(all.get(j).id());
      }
    }
    PeerNode n = new PeerNode(new PeerNode.Settings(all.get(i), all, nb, Optional.empty(), tokens, timeout, timeout, 1),
        model(0));
    nodes.add(n);
    return n;
  }

  @Test
  void aRoundOnATriangleAveragesExactlyWithMetropolisHastingsWeights() throws Exception {
    List<PeerNode.Address> all = addresses(3);
    Map<String, String> tokens = Map.of("p0", "a", "p1", "b", "p2", "c");
    List<Future<PeerNode.Exchange>> fs = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      PeerNode n = start(all, i, tokens, Duration.ofSeconds(20));
      float v = i + 1;
      fs.add(pool.submit(() -> n.exchange(1, model(v))));
    }
    for (Future<PeerNode.Exchange> f : fs) {
      PeerNode.Exchange x = f.get();
      // degree 2 everywhere: weight 1/3 for each neighbour and for itself, so every peer holds the exact average 2
      float[] m = x.mixed().flatten();
      assertThat(m[0]).isCloseTo(2f, within(1e-6f));
      assertThat(m[VALUES - 1]).isCloseTo(20f, within(1e-5f));
      assertThat(x.answered()).hasSize(2);
      assertThat(x.failures()).isEmpty();
      assertThat(x.bytesSent()).isGreaterThan(2L * VALUES * Float.BYTES);
      assertThat(x.bytesReceived()).isGreaterThan(2L * VALUES * Float.BYTES);
    }
  }

  @Test
  void aPeerWithAWrongTokenIsNotHeardAndIsDroppedWhileTheOthersRenormalise() throws Exception {
    List<PeerNode.Address> all = addresses(3);
    PeerNode p0 = start(all, 0, Map.of("p0", "a", "p1", "b", "p2", "c"), Duration.ofMillis(1500));
    PeerNode p1 = start(all, 1, Map.of("p0", "a", "p1", "b", "p2", "c"), Duration.ofMillis(1500));
    PeerNode p2 = start(all, 2, Map.of("p0", "a", "p1", "b", "p2", "forged"), Duration.ofMillis(1500));
    Future<PeerNode.Exchange> f0 = pool.submit(() -> p0.exchange(1, model(1)));
    Future<PeerNode.Exchange> f1 = pool.submit(() -> p1.exchange(1, model(4)));
    pool.submit(() -> p2.exchange(1, model(100)));
    for (Future<PeerNode.Exchange> f : List.of(f0, f1)) {
      PeerNode.Exchange x = f.get();
      assertThat(x.answered()).containsExactlyInAnyOrder(f == f0 ? "p1" : "p0");
      assertThat(x.failures()).singleElement().satisfies(fl -> {
        assertThat(fl.client().value()).isEqualTo("p2");
        assertThat(fl.reason()).contains("dropped");
      });
      // p2's weight stays with the peer: 1/3 * other + 2/3 * own
      float own = f == f0 ? 1 : 4;
      float other = f == f0 ? 4 : 1;
      assertThat(x.mixed().flatten()[0]).isCloseTo(other / 3 + 2 * own / 3, within(1e-5f));
      assertThat(x.neighbours()).doesNotContain("p2");
    }
  }

  @Test
  void catchUpFetchesTheMostAdvancedNeighboursModel() throws Exception {
    List<PeerNode.Address> all = addresses(3);
    PeerNode p0 = start(all, 0, Map.of(), Duration.ofSeconds(5));
    PeerNode p1 = start(all, 1, Map.of(), Duration.ofSeconds(5));
    PeerNode p2 = start(all, 2, Map.of(), Duration.ofSeconds(5));
    p0.publish(7, model(3));
    p1.publish(9, model(5));
    Optional<PeerNode.Snapshot> s = p2.catchUp();
    assertThat(s).isPresent();
    assertThat(s.get().from()).isEqualTo("p1");
    assertThat(s.get().round()).isEqualTo(9);
    assertThat(s.get().model()).isEqualTo(model(5));
  }
}
