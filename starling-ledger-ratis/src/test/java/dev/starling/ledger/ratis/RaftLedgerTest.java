package dev.starling.ledger.ratis;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.error.FlException;
import dev.starling.ledger.Block;
import dev.starling.ledger.BlockCodec;
import dev.starling.ledger.Digests;
import dev.starling.ledger.Ed25519;
import dev.starling.ledger.FileLedger;
import dev.starling.ledger.LedgerVerifier;
import dev.starling.ledger.RoundEntry;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Three ledger nodes in this JVM on loopback, each with its own directory and port. */
class RaftLedgerTest {
  private static final LedgerNode.Timing FAST = new LedgerNode.Timing(Duration.ofMillis(150), Duration.ofMillis(300));

  @TempDir
  Path tmp;

  private LedgerPeers peers;
  private final LedgerNode[] nodes = new LedgerNode[3];
  private final List<String> notices = new CopyOnWriteArrayList<>();
  private final CountDownLatch paused = new CountDownLatch(1);

  private void startThreeNodes() throws IOException {
    List<String> spec = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      try (ServerSocket s = new ServerSocket(0)) {
        spec.add("n" + i + "=127.0.0.1:" + s.getLocalPort());
      }
    }
    peers = LedgerPeers.parse(String.join(",", spec));
    for (int i = 0; i < 3; i++) {
      start(i);
    }
  }

  @AfterEach
  void stopNodes() {
    for (int i = 0; i < 3; i++) {
      stop(i);
    }
  }

  private void start(int i) {
    nodes[i] = LedgerNode.start("n" + i, peers, tmp.resolve("n" + i), FAST);
  }

  private void stop(int i) {
    if (nodes[i] != null) {
      nodes[i].close();
      nodes[i] = null;
    }
  }

  private RaftLedger open(Ed25519 key) {
    RaftLedger.Options o = new RaftLedger.Options(Duration.ofSeconds(1), Duration.ofMillis(100), Duration.ofMillis(300),
        Duration.ZERO, m -> {
          notices.add(m);
          if (m.contains("no quorum") && m.contains("committing block 3")) {
            paused.countDown();
          }
        });
    return RaftLedger.open(peers, key, CLOCK, o);
  }

  @Test
  void oneNodeDownKeepsAppendingTheMajorityLostPausesAResentBlockIsStoredOnceAndEveryNodeEndsWithTheSameChain()
      throws Exception {
    startThreeNodes();
    Ed25519 key = key(7);
    try (RaftLedger ledger = open(key)) {
      ledger.append(entry(1));
      ledger.append(entry(2));
      stop(2);
      ledger.append(entry(3)); // two of three nodes: a quorum
      stop(1);
      CompletableFuture<Block> pending = CompletableFuture.supplyAsync(() -> ledger.append(entry(4)));
      assertThat(paused.await(30, TimeUnit.SECONDS)).as("a notice that the ledger waits for a quorum").isTrue();
      assertThat(pending).isNotDone();
      assertThat(notices).anySatisfy(m -> assertThat(m).contains("no quorum (2 of 3) of the ledger nodes", "committing block 3 (round 4)",
          "the server pauses"));
      start(1); // back from its directory: a quorum again
      Block b = pending.get(30, TimeUnit.SECONDS);
      assertThat(b.index()).isEqualTo(3);
      assertThat(notices).anyMatch(m -> m.contains("quorum is back"));
      start(2);
      ledger.append(entry(5));
    }
    for (int i = 0; i < 3; i++) {
      awaitBlocks(i, 5);
    }
    aResentBlockIsStoredOnceAConflictingOneIsRefusedAndARestartedServerContinues(key);
    stopNodes();
    byte[] first = Files.readAllBytes(tmp.resolve("n0").resolve(FileLedger.FILE));
    for (int i = 0; i < 3; i++) {
      Path dir = tmp.resolve("n" + i);
      LedgerVerifier.Result v = LedgerVerifier.verify(dir, Optional.of(key.publicKey()));
      assertThat(v.ok()).as(v.describe()).isTrue();
      assertThat(v.blocks()).extracting(x -> x.body().round()).containsExactly(1, 2, 3, 4, 5, 6);
      assertThat(Files.readAllBytes(dir.resolve(FileLedger.FILE))).isEqualTo(first);
    }
  }

  /** On the running cluster holding rounds 1..5: resending block 0 and a conflicting block 0, reopening. */
  private void aResentBlockIsStoredOnceAConflictingOneIsRefusedAndARestartedServerContinues(Ed25519 key)
      throws Exception {
    Block first = nodes[0].blocks().get(0);
    // a retry from another client process (so Ratis' retry cache cannot hide it): the same block 0 again
    try (RaftClient raw = RaftClient.newBuilder().setProperties(new RaftProperties()).setRaftGroup(peers.group()).build()) {
      Wire.Reply again = Wire.readReply(raw.io().send(Message.valueOf(ByteString.copyFrom(BlockCodec.encode(first))))
          .getMessage().getContent());
      assertThat(again.status()).isEqualTo(Wire.Status.ALREADY_HELD);
      Block other = signed(key, 0, new byte[32], entry(9));
      Wire.Reply conflict = Wire.readReply(raw.io().send(Message.valueOf(ByteString.copyFrom(BlockCodec.encode(other))))
          .getMessage().getContent());
      assertThat(conflict.status()).isEqualTo(Wire.Status.REFUSED);
      assertThat(conflict.detail()).contains("block 0 is already held with other content");
    }
    // a restarted aggregator continues the chain it finds; another key may not extend it
    try (RaftLedger again = open(key)) {
      assertThat(again.blocks()).hasSize(5);
      assertThat(again.append(entry(6)).index()).isEqualTo(5);
    }
    assertThatThrownBy(() -> open(key(8))).isInstanceOf(FlException.class).hasMessageContaining("another aggregator key");
    for (int i = 0; i < 3; i++) {
      awaitBlocks(i, 6);
      assertThat(nodes[i].blocks()).extracting(x -> x.body().round()).containsExactly(1, 2, 3, 4, 5, 6);
    }
  }

  @Test
  void peerListsAreParsedWithErrorsNamingTheEntry() {
    peers = LedgerPeers.parse("a=127.0.0.1:1");
    assertThat(LedgerPeers.parse("a=h1:1,b=h2:65535").peers())
        .containsExactly(new LedgerPeers.Peer("a", "h1", 1), new LedgerPeers.Peer("b", "h2", 65535));
    assertThatThrownBy(() -> LedgerPeers.parse("a=h1:1,b=h2")).hasMessageContaining("ledger node 'b=h2': expected id=host:port");
    assertThatThrownBy(() -> LedgerPeers.parse("a=h:0")).hasMessageContaining("port 0 is outside 1..65535");
    assertThatThrownBy(() -> LedgerPeers.parse("a=h:1,a=g:2")).hasMessageContaining("'a' appears twice");
    assertThatThrownBy(() -> LedgerNode.start("z", peers, tmp.resolve("z"), FAST))
        .hasMessageContaining("ledger node id 'z' is not in the peer list");
  }

  /** Followers apply committed blocks shortly after the leader; wait (bounded) until node {@code i} holds {@code n}. */
  private void awaitBlocks(int i, int n) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (nodes[i].blocks().size() < n && System.nanoTime() < deadline) {
      Thread.sleep(20);
    }
    assertThat(nodes[i].blocks()).as("node n" + i).hasSize(n);
  }

  private static final Clock CLOCK = Clock.fixed(Instant.parse("2026-01-02T03:04:05Z"), ZoneOffset.UTC);

  private static Block signed(Ed25519 k, long index, byte[] prev, RoundEntry e) {
    return new Block(index, prev, CLOCK.millis(), e, k.publicKey(),
        k.sign(BlockCodec.signedBytes(index, prev, CLOCK.millis(), e, k.publicKey())));
  }

  private static Ed25519 key(int seed) {
    return Ed25519.generate(new SecureRandom() {
      @Override
      public void nextBytes(byte[] bytes) {
        for (int i = 0; i < bytes.length; i++) {
          bytes[i] = (byte) (seed * 31 + i * 7);
        }
      }
    });
  }

  private static byte[] model(int i) {
    return Digests.sha256(("model-" + i).getBytes(StandardCharsets.UTF_8));
  }

  private static RoundEntry entry(int round) {
    return new RoundEntry(round, Digests.sha256("config".getBytes(StandardCharsets.UTF_8)), model(round - 1), model(round),
        List.of(new RoundEntry.Participant("client-1", model(100 + round), 10, new byte[0], new byte[0])), List.of(), List.of(),
        "", List.of(), Double.NaN);
  }
}
