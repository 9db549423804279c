package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.wire.Payloads;
import org.junit.jupiter.api.Test;

/** The server encodes a round's float32 model once for all its clients, and never serves a stale encoding. */
class SharedBroadcastTest {
  @Test
  void oneEncodingPerModelAndRoundAndANewOneForAnotherModelOrRound() {
    FederationServer server = new FederationServer(ServerSettings.loopback(0, "test", "fedavg")); // not started
    ParameterSet g = ParameterSet.of(Tensor.of("w", new float[] {1, 2, 3}, 3));
    Payloads.SharedModel first = server.sharedModel(g, 4);
    assertThat(server.sharedModel(g, 4)).as("every client of round 4").isSameAs(first);
    // the same object changed in place and sent in a later round: encoded again, not served from round 4
    assertThat(server.sharedModel(g, 5)).isNotSameAs(first);
    ParameterSet next = g.copy();
    Payloads.SharedModel other = server.sharedModel(next, 5);
    assertThat(other.isFor(next, server.settings().chunkValues(), 5)).isTrue();
    assertThat(other.isFor(g, server.settings().chunkValues(), 5)).isFalse();
  }
}
