package dev.starling.ledger.ratis;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.ledger.Block;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.util.TimeDuration;

/**
 * One ledger node: a Ratis server of the ledger's Raft group, listening (gRPC) on its own port from
 * {@link LedgerPeers}, keeping the Raft log under {@code DIR/raft} and the chain in {@code
 * DIR/ledger.bin}. Restarting a node on the same directory (after a crash, kill -9 included) rejoins
 * the group and catches up.
 */
public final class LedgerNode implements AutoCloseable {
  private final String id;
  private final RaftServer server;
  private final LedgerStateMachine machine;

  /**
   * Raft election timing: a follower that hears nothing from the leader for a random time between
   * {@code min} and {@code max} starts an election. Ratis' defaults (150 to 300 ms) suit a LAN.
   */
  public record Timing(Duration electionMin, Duration electionMax) {
    public static Timing defaults() {
      return new Timing(Duration.ofMillis(150), Duration.ofMillis(300));
    }
  }

  private LedgerNode(String id, RaftServer server, LedgerStateMachine machine) {
    this.id = id;
    this.server = server;
    this.machine = machine;
  }

  /** Starts node {@code id} of {@code peers} with its state in {@code dir}. */
  public static LedgerNode start(String id, LedgerPeers peers, Path dir, Timing timing) {
    Objects.requireNonNull(timing, "timing");
    LedgerPeers.Peer self = peers.find(id).orElseThrow(() -> new FlException(ErrorCode.INVALID_ARGUMENT,
        "ledger node id '" + id + "' is not in the peer list " + peers));
    try {
      Files.createDirectories(dir);
      Path raftDir = dir.resolve("raft");
      RaftProperties p = new RaftProperties();
      RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
      GrpcConfigKeys.Server.setPort(p, self.port());
      RaftServerConfigKeys.setStorageDir(p, List.of(raftDir.toFile()));
      RaftServerConfigKeys.Rpc.setTimeoutMin(p, millis(timing.electionMin()));
      RaftServerConfigKeys.Rpc.setTimeoutMax(p, millis(timing.electionMax()));
      RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, millis(timing.electionMin()));
      RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, millis(timing.electionMax()));
      RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, false);
      boolean existing = Files.isDirectory(raftDir.resolve(LedgerPeers.GROUP_ID.getUuid().toString()));
      LedgerStateMachine machine = new LedgerStateMachine(dir);
      RaftServer server = RaftServer.newBuilder().setServerId(RaftPeerId.valueOf(id)).setGroup(peers.group())
          .setProperties(p).setStateMachine(machine)
          .setOption(existing ? RaftStorage.StartupOption.RECOVER : RaftStorage.StartupOption.FORMAT).build();
      server.start();
      return new LedgerNode(id, server, machine);
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "ledger node " + id + " (" + self.address() + ", " + dir
          + ") cannot start: " + e.getMessage(), e);
    }
  }

  public String id() {
    return id;
  }

  /** The blocks this node has applied, in order. */
  public List<Block> blocks() {
    return machine.blocks();
  }

  @Override
  public void close() {
    try {
      server.close();
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "ledger node " + id + " did not stop cleanly: " + e.getMessage(), e);
    }
  }

  static TimeDuration millis(Duration d) {
    return TimeDuration.valueOf(d.toMillis(), TimeUnit.MILLISECONDS);
  }
}
