package dev.starling.ledger.ratis;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.regex.Pattern;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

/**
 * The ledger nodes of one replicated ledger, as {@code id=host:port,...}: one Raft group (its id is
 * fixed, derived from the text {@code starling-ledger}), every node listed with its gRPC address.
 *
 * @param peers the nodes, in the order given
 */
public record LedgerPeers(List<Peer> peers) {
  private static final Pattern ID = Pattern.compile("[A-Za-z0-9_.-]{1,64}");
  static final RaftGroupId GROUP_ID =
      RaftGroupId.valueOf(UUID.nameUUIDFromBytes("starling-ledger".getBytes(StandardCharsets.US_ASCII)));

  /** One ledger node: its id and the host and port its Raft server listens on. */
  public record Peer(String id, String host, int port) {
    public String address() {
      return host + ":" + port;
    }

    @Override
    public String toString() {
      return id + "=" + address();
    }
  }

  public LedgerPeers {
    peers = List.copyOf(peers);
  }

  /**
   * Parses {@code id=host:port,...}. Errors name the entry and what is wrong: a missing {@code =} or
   * port, a port outside 1..65535, an id with other characters than letters, digits, {@code _.-},
   * or the same id twice.
   */
  public static LedgerPeers parse(String spec) {
    if (spec == null || spec.isBlank()) {
      throw bad("the list of ledger nodes is empty; expected id=host:port,...");
    }
    List<Peer> out = new ArrayList<>();
    Set<String> ids = new HashSet<>();
    for (String raw : spec.split(",", -1)) {
      String e = raw.strip();
      int eq = e.indexOf('=');
      int colon = e.lastIndexOf(':');
      if (eq <= 0 || colon < eq + 2 || colon == e.length() - 1) {
        throw bad("ledger node '" + e + "': expected id=host:port");
      }
      String id = e.substring(0, eq);
      if (!ID.matcher(id).matches()) {
        throw bad("ledger node '" + e + "': the id may hold only letters, digits, '_', '.', '-' (at most 64)");
      }
      int port;
      try {
        port = Integer.parseInt(e.substring(colon + 1));
      } catch (NumberFormatException x) {
        throw bad("ledger node '" + e + "': port '" + e.substring(colon + 1) + "' is not a number");
      }
      if (port < 1 || port > 65535) {
        throw bad("ledger node '" + e + "': port " + port + " is outside 1..65535");
      }
      if (!ids.add(id)) {
        throw bad("ledger node id '" + id + "' appears twice");
      }
      out.add(new Peer(id, e.substring(eq + 1, colon), port));
    }
    return new LedgerPeers(out);
  }

  public Optional<Peer> find(String id) {
    return peers.stream().filter(p -> p.id().equals(id)).findFirst();
  }

  /** How many nodes must answer for a block to commit. */
  public int quorum() {
    return peers.size() / 2 + 1;
  }

  RaftGroup group() {
    List<RaftPeer> rp = new ArrayList<>();
    for (Peer p : peers) {
      rp.add(RaftPeer.newBuilder().setId(RaftPeerId.valueOf(p.id())).setAddress(p.address()).build());
    }
    return RaftGroup.valueOf(GROUP_ID, rp);
  }

  @Override
  public String toString() {
    return String.join(",", peers.stream().map(Peer::toString).toList());
  }

  private static FlException bad(String message) {
    return new FlException(ErrorCode.INVALID_ARGUMENT, message);
  }
}
