package dev.starling.vertical.link;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.vertical.psi.Psi;
import dev.starling.vertical.psi.PsiParty;
import io.grpc.ManagedChannel;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class GrpcLinkTest {
  private static final Duration T = Duration.ofSeconds(20);

  @Test
  void psi_overGrpcWithToken_bothPartiesGetTheIntersection() throws Exception {
    List<String> a = new ArrayList<>();
    List<String> b = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      a.add("id" + i);
      b.add("id" + (i + 150));
    }
    try (LinkListener listener = new LinkListener(LinkEndpoints.server(0, Optional.empty()), "s3cret", T)) {
      ManagedChannel ch = LinkEndpoints.channel("127.0.0.1", listener.port(), Optional.empty());
      try {
        CompletableFuture<List<String>> follower = CompletableFuture.supplyAsync(() -> {
          try (PartyLink link = GrpcLink.connect(ch, "s3cret", T)) {
            return Psi.follow(new PsiParty("f", b, RandomSource.seeded(2)), link);
          }
        });
        List<String> leader;
        try (PartyLink link = listener.accept(T)) {
          leader = Psi.lead(new PsiParty("l", a, RandomSource.seeded(1)), link);
        }
        assertThat(leader).hasSize(50).isEqualTo(follower.get(20, TimeUnit.SECONDS));
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void connect_wrongToken_refusedWithUnauthenticated() {
    try (LinkListener listener = new LinkListener(LinkEndpoints.server(0, Optional.empty()), "s3cret", T)) {
      ManagedChannel ch = LinkEndpoints.channel("127.0.0.1", listener.port(), Optional.empty());
      try (PartyLink link = GrpcLink.connect(ch, "guess", T)) {
        link.send(new byte[] {1});
        assertThatThrownBy(link::receive).isInstanceOf(FlException.class).hasMessageContaining("UNAUTHENTICATED")
            .hasMessageContaining("wrong token");
      } finally {
        ch.shutdownNow();
      }
    }
  }

  @Test
  void send_largeMessage_arrivesWholeAcrossFrames() throws Exception {
    try (LinkListener listener = new LinkListener(LinkEndpoints.server(0, Optional.empty()), "", T)) {
      ManagedChannel ch = LinkEndpoints.channel("127.0.0.1", listener.port(), Optional.empty());
      try (PartyLink client = GrpcLink.connect(ch, "", T)) {
        byte[] big = new byte[GrpcLink.FRAME_BYTES * 2 + 17];
        for (int i = 0; i < big.length; i++) {
          big[i] = (byte) (i * 31);
        }
        client.send(big);
        try (PartyLink server = listener.accept(T)) {
          assertThat(server.receive()).isEqualTo(big);
          server.send(new byte[] {4, 2});
          assertThat(client.receive()).containsExactly(4, 2);
          assertThat(server.bytesReceived()).isEqualTo(big.length);
        }
      } finally {
        ch.shutdownNow();
      }
    }
  }
}
