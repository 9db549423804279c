package dev.starling.transport.grpc.server;

import dev.starling.core.message.ClientId;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.Welcome;
import dev.starling.transport.grpc.wire.ByteLane;
import dev.starling.transport.grpc.wire.Outbox;
import dev.starling.transport.grpc.wire.Payloads;
import dev.starling.transport.grpc.wire.CompactSubModels;
import dev.starling.transport.grpc.wire.SubModelTerms;
import io.grpc.Status;
import io.grpc.stub.ServerCallStreamObserver;
import io.grpc.stub.StreamObserver;
import java.lang.System.Logger.Level;

/**
 * The server's gRPC endpoint: its one job is the life of each client stream. It opens a session per
 * stream, checks the Hello (protocol version, client id, authenticated identity, the capabilities the run
 * needs), sends the Welcome with the run's terms, admits the client through the {@link ClientRegistry},
 * routes the client's later messages to its {@link RemoteClient} (standardisation statistics to the
 * {@link StatisticsAgreement}), and ends the session when the stream fails or completes.
 */
final class FederationService extends FederationGrpc.FederationImplBase {
  private static final System.Logger LOG = System.getLogger(FederationServer.class.getName());

  private final FederationServer server;
  private final ClientRegistry registry;

  FederationService(FederationServer server, ClientRegistry registry) {
    this.server = server;
    this.registry = registry;
  }

  @Override
  public StreamObserver<ClientMessage> session(StreamObserver<ServerMessage> responses) {
    ServerCallStreamObserver<ServerMessage> stream = (ServerCallStreamObserver<ServerMessage>) responses;
    String authenticated = TokenAuthInterceptor.CLIENT_ID.get();
    // the on-ready handler can only be installed before this method returns
    var outbox = new Outbox<ServerMessage>(stream, ServerMessage::getSerializedSize,
        "starling-send-" + (authenticated == null ? "client" : authenticated));
    Session session = new Session(stream, outbox, authenticated);
    registry.opened(session);
    return session;
  }

  /** One client's stream; inbound callbacks arrive in order on gRPC's executor. */
  private final class Session implements StreamObserver<ClientMessage>, ClientRegistry.PendingSession {
    private final ServerCallStreamObserver<ServerMessage> stream;
    private final Outbox<ServerMessage> outbox;
    private final String authenticated;
    private volatile RemoteClient client;
    private boolean closed; // guarded by this: refused before or instead of Hello

    Session(ServerCallStreamObserver<ServerMessage> stream, Outbox<ServerMessage> outbox, String authenticated) {
      this.stream = stream;
      this.outbox = outbox;
      this.authenticated = authenticated;
    }

    @Override
    public void onNext(ClientMessage m) {
      RemoteClient c = client;
      if (c == null) {
        synchronized (this) {
          if (closed) {
            return;
          }
          registry.helloDone(this);
          if (!m.hasHello()) {
            fail(Status.FAILED_PRECONDITION.withDescription("the first message must be Hello, got " + m.getBodyCase()));
            return;
          }
          hello(m);
        }
        return;
      }
      if (m.hasFeatureStatistics()) {
        server.statistics().onStatistics(c.id().value(), m.getFeatureStatistics());
        return;
      }
      c.onMessage(m);
    }

    /** Called by {@link ClientRegistry#checkTimeouts()}: the stream opened but never said Hello. */
    @Override
    public synchronized void helloTimedOut() {
      if (!registry.awaitingHello(this) || closed || client != null) {
        return;
      }
      registry.helloDone(this);
      String why = "no Hello within " + server.settings().helloTimeout() + " of opening the session";
      LOG.log(Level.WARNING, "closing a session (authenticated as {0}): {1}", authenticated, why);
      fail(Status.DEADLINE_EXCEEDED.withDescription(why));
    }

    private void hello(ClientMessage m) {
      ServerSettings settings = server.settings();
      var h = m.getHello();
      if (h.getProtocolVersion() != FederationServer.PROTOCOL_VERSION) {
        fail(Status.FAILED_PRECONDITION.withDescription("client speaks protocol v" + h.getProtocolVersion()
            + ", this server speaks v" + FederationServer.PROTOCOL_VERSION));
        return;
      }
      String id = h.getClientId();
      if (id.isBlank()) {
        fail(Status.INVALID_ARGUMENT.withDescription("Hello.client_id is empty"));
        return;
      }
      if (id.length() > FederationServer.MAX_CLIENT_ID_LENGTH || id.chars().anyMatch(Character::isISOControl)) {
        fail(Status.INVALID_ARGUMENT.withDescription("Hello.client_id must be at most "
            + FederationServer.MAX_CLIENT_ID_LENGTH
            + " characters without control characters (got " + id.length() + " characters)"));
        return;
      }
      if (authenticated != null && !id.equals(authenticated) && settings.authenticatesClients()) {
        LOG.log(Level.WARNING, "client authenticated as {0} said Hello as {1}; refused", authenticated, id);
        fail(Status.PERMISSION_DENIED.withDescription("authenticated as '" + authenticated + "' but Hello says '" + id + "'"));
        return;
      }
      WireCompression w = server.wire();
      if (w != null && !h.getCapabilitiesList().contains(Payloads.CODEC_CAPABILITY)) {
        LOG.log(Level.WARNING, "refused client {0}: it cannot send encoded updates ({1})", id, w.describe());
        fail(Status.FAILED_PRECONDITION.withDescription("this run sends encoded payloads (" + w.describe()
            + ") but client '" + id + "' does not list capability '" + Payloads.CODEC_CAPABILITY
            + "' in Hello; upgrade the client"));
        return;
      }
      SubModelTerms sub = server.subModels();
      if (sub != null && !h.getCapabilitiesList().contains(SubModelTerms.CAPABILITY)) {
        LOG.log(Level.WARNING, "refused client {0}: it cannot train sub-models", id);
        fail(Status.FAILED_PRECONDITION.withDescription("this run trains sub-models (" + sub.policy()
            + ") but client '" + id + "' does not list capability '"
            + SubModelTerms.CAPABILITY + "' in Hello; upgrade the client"));
        return;
      }
      ClientId cid = new ClientId(id);
      // v1.7: a byte lane for a client that can use one, bound once the client connects it; the RemoteClient is
      // made right after the Welcome is queued, so an opening waits for it
      LaneListener lanes = server.lanes();
      java.util.concurrent.CompletableFuture<RemoteClient> joining = new java.util.concurrent.CompletableFuture<>();
      dev.starling.transport.grpc.proto.ByteLane laneOffer = lanes != null
          && h.getCapabilitiesList().contains(ByteLane.CAPABILITY) ? lanes.offer(lane -> {
            try {
              return joining.get(settings.helloTimeout().toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS)
                  .attachLane(lane);
            } catch (java.util.concurrent.ExecutionException | java.util.concurrent.TimeoutException e) {
              return false;
            } catch (InterruptedException e) {
              Thread.currentThread().interrupt();
              return false;
            }
          }) : null;
      ClientRegistry.Admission a = registry.admit(cid, stream, () -> {
        // Welcome goes out before the client joins the pool, so no task can overtake it
        Welcome.Builder welcome = Welcome.newBuilder().setProtocolVersion(FederationServer.PROTOCOL_VERSION)
            .setModel(settings.model()).setStrategy(settings.strategy()).setRunId(settings.runId())
            .setClientDp(server.clientDp()).setClientDpSeededNoise(server.clientDpSeededNoise())
            .setAgreeStatistics(server.statistics().asked())
            .setHeartbeatMillis((int) settings.heartbeat().toMillis()).setNextRound(server.currentRound());
        if (sub != null) {
          welcome.setSubmodel(sub.toProto());
          // v1.6: a client that can send compact sub-model updates is told it may; others keep the v1.4 form
          welcome.setCompactSubmodel(h.getCapabilitiesList().contains(CompactSubModels.CAPABILITY));
        }
        if (server.acceptsSkips()) {
          welcome.setEventThreshold(server.eventThreshold());
        }
        if (w != null) {
          welcome.setUplinkCodec(w.uplink().describe()).setErrorFeedback(w.errorFeedback())
              .setDownlinkCodec(w.downlink().isIdentity() ? "" : w.downlink().describe());
        }
        if (laneOffer != null) {
          welcome.setByteLane(laneOffer);
        }
        outbox.send(ServerMessage.newBuilder().setWelcome(welcome).build());
      }, () -> new RemoteClient(cid, outbox, server, h.getCapabilitiesList()));
      if (a.joined() == null) {
        joining.completeExceptionally(new IllegalStateException("refused"));
        if (laneOffer != null) {
          lanes.withdraw(laneOffer.getLaneId());
        }
        fail(Status.ALREADY_EXISTS.withDescription(a.refusal()));
        return;
      }
      client = a.joined();
      joining.complete(client);
      if (laneOffer != null) {
        client.onDeath(() -> lanes.withdraw(laneOffer.getLaneId()));
      }
      LOG.log(Level.INFO, "client {0} connected (attempt {1})", id, h.getAttempt());
    }

    private void fail(Status s) {
      closed = true;
      outbox.close();
      try {
        synchronized (stream) {
          stream.onError(s.asRuntimeException());
        }
      } catch (RuntimeException ignored) {
        // the peer cancelled first
      }
    }

    @Override
    public void onError(Throwable t) {
      registry.helloDone(this);
      outbox.close();
      if (client != null) {
        LOG.log(Level.INFO, "client {0} disconnected: {1}", client.id(), Status.fromThrowable(t));
        registry.drop(client, "connection lost (" + Status.fromThrowable(t).getCode() + ")", null);
      }
    }

    @Override
    public void onCompleted() {
      registry.helloDone(this);
      if (client != null) {
        registry.drop(client, "client closed its session", null);
      }
      try {
        synchronized (stream) {
          stream.onCompleted();
        }
      } catch (RuntimeException ignored) {
        // already closed
      }
    }
  }
}
