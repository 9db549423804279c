package dev.starling.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code starling peer}'s bad usage: exit 2 before any data is read or any port opened, naming what was wrong. */
class PeerCliTest {
  @TempDir
  Path dir;

  private String peers;

  @BeforeEach
  void peersFile() throws Exception {
    Path f = dir.resolve("peers.txt");
    Files.writeString(f, "# three peers\np0 127.0.0.1:1\np1 127.0.0.1:2\np2 127.0.0.1:3\n");
    peers = f.toString();
  }

  @Test
  void anIndexOutsideThePeersFileIsBadUsage() {
    CliRun r = CliRun.of("peer", "--peers", peers, "--peer-index", "3");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--peer-index must be in 0..2").contains("lists 3 peers");
  }

  @Test
  void aMalformedPeersLineNamesFileAndLine() throws Exception {
    Path bad = dir.resolve("bad.txt");
    Files.writeString(bad, "p0 127.0.0.1:1\np1 localhost\n");
    CliRun r = CliRun.of("peer", "--peers", bad.toString(), "--peer-index", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("bad.txt line 2: expected 'PEER_ID HOST:PORT', got 'p1 localhost'");
  }

  @Test
  void gossipModesNotWiredOverTheNetworkAreRefused() {
    CliRun r = CliRun.of("peer", "--peers", peers, "--peer-index", "0", "--gossip", "push-sum");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("--gossip networked peers run plain dpsgd only");
    CliRun m = CliRun.of("peer", "--peers", peers, "--peer-index", "0", "--p2p", "matching");
    assertThat(m.code()).isEqualTo(2);
    assertThat(m.err()).contains("time-varying");
  }

  @Test
  void runSpecificationFlagsAreSimulatesAndCheckedAsSuch() {
    CliRun r = CliRun.of("peer", "--peers", peers, "--peer-index", "0", "--local-epochs", "0");
    assertThat(r.code()).isEqualTo(2);
    assertThat(r.err()).contains("local-epochs must be > 0");
    CliRun c = CliRun.of("peer", "--peers", peers, "--peer-index", "0", "--clients", "4");
    assertThat(c.code()).isEqualTo(2);
    assertThat(c.err()).contains("--clients 4 but").contains("lists 3 peers");
  }
}
