package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Five {@code starling peer} processes on 127.0.0.1 gossip on a ring (digits, tokens on); peer 2 is killed with
 * SIGKILL after its third round. Its two neighbours notice (it misses rounds), drop it, re-wire to each other, and all
 * four survivors finish every round above 0.85 test accuracy with their own models.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class PeerDeploymentTest {
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final int PEERS = 5;
  private static final int ROUNDS = 12;

  @TempDir
  Path dir;

  private ChildJvms children;

  @AfterEach
  void killAll() {
    if (children != null) {
      children.close();
    }
  }

  private List<JsonNode> metrics(int peer) throws IOException {
    Path f = dir.resolve("m" + peer + ".jsonl");
    List<JsonNode> out = new ArrayList<>();
    if (Files.exists(f)) {
      for (String line : Files.readAllLines(f, StandardCharsets.UTF_8)) {
        if (!line.isBlank()) {
          out.add(JSON.readTree(line));
        }
      }
    }
    return out;
  }

  @Test
  void survivorsReWireAroundAKilledPeerAndFinish() throws Exception {
    children = new ChildJvms(dir);
    StringBuilder peers = new StringBuilder();
    StringBuilder tokens = new StringBuilder();
    for (int i = 0; i < PEERS; i++) {
      try (ServerSocket s = new ServerSocket(0)) {
        peers.append("p").append(i).append(" 127.0.0.1:").append(s.getLocalPort()).append('\n');
      }
      tokens.append("p").append(i).append(" secret-").append(i).append('\n');
    }
    Files.writeString(dir.resolve("peers.txt"), peers);
    Files.writeString(dir.resolve("tokens.txt"), tokens);
    List<Process> ps = new ArrayList<>();
    for (int i = 0; i < PEERS; i++) {
      ps.add(children.start("peer" + i, "peer", "--peers", dir.resolve("peers.txt").toString(), "--peer-index",
          Integer.toString(i), "--tokens", dir.resolve("tokens.txt").toString(), "--gossip-timeout", "3s",
          "--start-timeout", "60s", "--max-misses", "2", "--rounds", Integer.toString(ROUNDS), "--threads", "1",
          "--p2p", "ring", "--metrics-out", dir.resolve("m" + i + ".jsonl").toString()));
    }
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (metrics(2).size() < 3) {
      assertThat(System.nanoTime()).as("peer 2 reaches round 3; its log: %s", children.log("peer2")).isLessThan(deadline);
      assertThat(ps.get(2).isAlive()).as("peer 2 runs: %s", children.log("peer2")).isTrue();
      Thread.sleep(50);
    }
    ps.get(2).destroyForcibly().waitFor(10, TimeUnit.SECONDS);
    int killedAfter = metrics(2).size();

    for (int i = 0; i < PEERS; i++) {
      if (i == 2) {
        continue;
      }
      assertThat(ps.get(i).waitFor(90, TimeUnit.SECONDS)).as("peer %d finishes: %s", i, children.log("peer" + i)).isTrue();
      assertThat(ps.get(i).exitValue()).as("peer %d: %s", i, children.log("peer" + i)).isZero();
      List<JsonNode> m = metrics(i);
      assertThat(m).as("peer %d records every round", i).hasSize(ROUNDS);
      JsonNode last = m.get(ROUNDS - 1);
      assertThat(last.get("test_accuracy").asDouble()).as("peer %d's own model", i).isGreaterThanOrEqualTo(0.85);
      assertThat(last.get("bytes_up").asLong()).isPositive();
      assertThat(last.get("neighbours").asInt()).as("peer %d still has two neighbours after re-wiring", i).isEqualTo(2);
    }
    // peer 2's neighbours (1 and 3) record it missing, then dropped, and wire to each other
    for (int i : new int[] {1, 3}) {
      List<JsonNode> lost = new ArrayList<>();
      for (JsonNode line : metrics(i)) {
        for (JsonNode f : line.get("failures")) {
          if (f.get("client").asText().equals("p2")) {
            lost.add(f);
          }
        }
      }
      assertThat(lost).as("peer %d notices peer 2 (killed after %d rounds)", i, killedAfter).hasSize(2);
      assertThat(lost.get(0).get("code").asText()).isEqualTo("DEADLINE_EXCEEDED");
      // whichever of the two drops first re-wires; the other finds the wire already there
      assertThat(lost.get(1).get("reason").asText()).containsPattern("dropped, (re-wired|already wired) to p" + (i == 1 ? 3 : 1));
      assertThat(metrics(i).get(ROUNDS - 1).get("neighbours_answered").asInt()).isEqualTo(2);
    }
    // peers 0 and 4 are not next to the gap: they may wait longer (their neighbours say they are alive) and, on a
    // loaded machine, record a late model, but they never drop a neighbour
    for (int i : new int[] {0, 4}) {
      for (JsonNode line : metrics(i)) {
        for (JsonNode f : line.get("failures")) {
          assertThat(f.get("reason").asText()).as("peer %d round %s", i, line.get("round")).doesNotContain("dropped");
        }
      }
    }
  }
}
