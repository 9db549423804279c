package dev.starling.ledger.ratis;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.ledger.Block;
import dev.starling.ledger.BlockCodec;
import dev.starling.ledger.Ed25519;
import dev.starling.ledger.Ledger;
import dev.starling.ledger.LedgerVerifier;
import dev.starling.ledger.RoundEntry;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.Consumer;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.rpc.SupportedRpcType;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

/**
 * The aggregator's side of a replicated ledger: signs each block like {@link dev.starling.ledger.FileLedger}
 * and appends it through the Raft client; {@link #append} returns only once a quorum of ledger nodes
 * has committed and applied it, so the round loop does not start the next round before that.
 *
 * <p>When no quorum answers, {@link #append} keeps the same signed block and keeps trying (the Raft
 * client retries every {@code retryEvery}; a node that comes back rejoins and the block commits), and
 * says so through {@code notices} every {@code noticeEvery}: the server pauses, it does not crash. It
 * gives up with {@link ErrorCode#UNAVAILABLE} only after {@code giveUpAfter} (never when zero). Sending the
 * same block again is harmless: the nodes store a block they already hold once (see {@link
 * LedgerStateMachine}). Opening reads the chain back from the nodes and checks it, so a restarted server
 * continues it, and refuses a chain another aggregator key signed. One writer per ledger.
 */
public final class RaftLedger implements Ledger {
  private final LedgerPeers peers;
  private final Ed25519 signer;
  private final Clock clock;
  private final Options options;
  private final RaftClient client;
  private final List<Block> blocks;

  /**
   * How the ledger waits for a quorum: the Raft client's per-try timeout and pause between tries, how
   * often a waiting append says so, when it gives up (zero: never), and where those notices go.
   */
  public record Options(Duration requestTimeout, Duration retryEvery, Duration noticeEvery, Duration giveUpAfter,
      Consumer<String> notices) {
    public Options {
      Objects.requireNonNull(notices, "notices");
      if (requestTimeout.isNegative() || requestTimeout.isZero() || retryEvery.isNegative() || noticeEvery.isNegative()
          || noticeEvery.isZero() || giveUpAfter.isNegative()) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, "ledger wait options must be positive durations (give-up may be 0 = never): "
            + requestTimeout + ", " + retryEvery + ", " + noticeEvery + ", " + giveUpAfter);
      }
    }

    /** 3 s per try, 0.5 s between tries, a notice every 10 s, never give up; notices to the logger. */
    public static Options defaults() {
      System.Logger log = System.getLogger(RaftLedger.class.getName());
      return new Options(Duration.ofSeconds(3), Duration.ofMillis(500), Duration.ofSeconds(10), Duration.ZERO,
          m -> log.log(System.Logger.Level.WARNING, m));
    }

    public Options withNotices(Consumer<String> to) {
      return new Options(requestTimeout, retryEvery, noticeEvery, giveUpAfter, to);
    }
  }

  private RaftLedger(LedgerPeers peers, Ed25519 signer, Clock clock, Options options, RaftClient client, List<Block> blocks) {
    this.peers = peers;
    this.signer = signer;
    this.clock = clock;
    this.options = options;
    this.client = client;
    this.blocks = blocks;
  }

  /**
   * Connects to the ledger nodes {@code peers} and reads their chain (waiting for a quorum like an
   * append does). Refuses a chain that does not verify or that another key signed.
   */
  public static RaftLedger open(LedgerPeers peers, Ed25519 signer, Clock clock, Options options) {
    RaftClient client = client(peers, options);
    try {
      List<byte[]> payloads = readChain(client, peers, options);
      LedgerVerifier.Result v = LedgerVerifier.verifyPayloads(payloads, Optional.empty());
      if (!v.ok()) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the ledger nodes " + peers + " hold a chain that does not verify: "
            + v.describe());
      }
      if (!v.blocks().isEmpty() && !Arrays.equals(v.blocks().get(0).signerKey(), signer.publicKey())) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the ledger nodes " + peers + " hold blocks signed by another"
            + " aggregator key than the one given; refusing to extend them");
      }
      return new RaftLedger(peers, signer, clock, options, client, new ArrayList<>(v.blocks()));
    } catch (RuntimeException e) {
      closeQuietly(client);
      throw e;
    }
  }

  /**
   * The chain the ledger nodes {@code peers} hold, as each block's canonical bytes, read from the
   * leader (waiting like {@link #open} while no quorum answers): what {@code starling ledger verify
   * raft://...} checks.
   */
  public static List<byte[]> readChain(LedgerPeers peers, Options options) {
    try (RaftClient client = client(peers, options)) {
      return readChain(client, peers, options);
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "ledger nodes " + peers + ": " + e.getMessage(), e);
    }
  }

  private static List<byte[]> readChain(RaftClient client, LedgerPeers peers, Options options) {
    RaftClientReply reply = await(client.async().sendReadOnly(Wire.query(0)), options, peers, "reading the chain");
    return Wire.readBlocks(reply.getMessage().getContent());
  }

  private static RaftClient client(LedgerPeers peers, Options options) {
    RaftProperties p = new RaftProperties();
    RaftConfigKeys.Rpc.setType(p, SupportedRpcType.GRPC);
    RaftClientConfigKeys.Rpc.setRequestTimeout(p, LedgerNode.millis(options.requestTimeout()));
    return RaftClient.newBuilder().setProperties(p).setRaftGroup(peers.group())
        .setRetryPolicy(RetryPolicies.retryForeverWithSleep(LedgerNode.millis(options.retryEvery()))).build();
  }

  @Override
  public Block append(RoundEntry entry) {
    long index = blocks.size();
    byte[] prev = blocks.isEmpty() ? new byte[32] : blocks.get(blocks.size() - 1).hash();
    long time = Math.max(clock.millis(), blocks.isEmpty() ? 0 : blocks.get(blocks.size() - 1).timeMillis());
    byte[] key = signer.publicKey();
    Block b = new Block(index, prev, time, entry, key, signer.sign(BlockCodec.signedBytes(index, prev, time, entry, key)));
    RaftClientReply reply = await(client.async().send(Message.valueOf(ByteString.copyFrom(BlockCodec.encode(b)))), options,
        peers, "committing block " + index + " (round " + entry.round() + ")");
    Wire.Reply r = Wire.readReply(reply.getMessage().getContent());
    if (r.status() == Wire.Status.REFUSED) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "the ledger nodes refused block " + index + ": " + r.detail());
    }
    blocks.add(b);
    return b;
  }

  /** Waits for {@code f}, telling {@code notices} while no quorum answers; gives up only after {@code giveUpAfter}. */
  private static RaftClientReply await(CompletableFuture<RaftClientReply> f, Options o, LedgerPeers peers, String what) {
    long waitedMs = 0;
    long step = o.noticeEvery().toMillis();
    boolean paused = false;
    while (true) {
      try {
        RaftClientReply reply = f.get(step, TimeUnit.MILLISECONDS);
        if (paused) {
          o.notices().accept("ledger: quorum is back; " + what + " done after about " + waitedMs / 1000.0 + " s; resuming");
        }
        if (!reply.isSuccess()) {
          throw new FlException(ErrorCode.UNAVAILABLE, "ledger nodes " + peers + ": " + what + " failed: " + reply.getException());
        }
        return reply;
      } catch (TimeoutException e) {
        waitedMs += step;
        paused = true;
        if (!o.giveUpAfter().isZero() && waitedMs >= o.giveUpAfter().toMillis()) {
          f.cancel(true);
          throw new FlException(ErrorCode.UNAVAILABLE, "ledger: no quorum (" + peers.quorum() + " of " + peers.peers().size()
              + ") of the ledger nodes " + peers + " for " + waitedMs / 1000.0 + " s while " + what + "; giving up");
        }
        o.notices().accept("ledger: no quorum (" + peers.quorum() + " of " + peers.peers().size() + ") of the ledger nodes "
            + peers + " answers; " + what + " is waiting (" + waitedMs / 1000.0 + " s so far) and the server pauses until"
            + " enough nodes are back");
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        f.cancel(true);
        throw new FlException(ErrorCode.CANCELLED, "ledger: interrupted while " + what);
      } catch (ExecutionException e) {
        throw new FlException(ErrorCode.UNAVAILABLE, "ledger nodes " + peers + ": " + what + " failed: " + e.getCause(), e.getCause());
      }
    }
  }

  @Override
  public List<Block> blocks() {
    return List.copyOf(blocks);
  }

  @Override
  public Optional<Block> last() {
    return blocks.isEmpty() ? Optional.empty() : Optional.of(blocks.get(blocks.size() - 1));
  }

  public LedgerPeers peers() {
    return peers;
  }

  @Override
  public void close() {
    closeQuietly(client);
  }

  private static void closeQuietly(RaftClient c) {
    try {
      c.close();
    } catch (IOException e) {
      // nothing was pending: every append waited for its reply
    }
  }
}
