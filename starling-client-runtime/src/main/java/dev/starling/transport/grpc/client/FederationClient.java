package dev.starling.transport.grpc.client;

import dev.starling.compression.CodecChain;
import dev.starling.compression.Codecs;
import dev.starling.compression.UplinkEncoder;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.EventTrigger;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.random.RandomSource;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.transport.grpc.TlsFiles;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.EvalReply;
import dev.starling.transport.grpc.proto.Heartbeat;
import dev.starling.transport.grpc.proto.Hello;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.TaskFailed;
import dev.starling.transport.grpc.proto.TaskHeader;
import dev.starling.transport.grpc.proto.TaskKind;
import dev.starling.transport.grpc.proto.UpdateEnd;
import dev.starling.transport.grpc.proto.CompactSubModel;
import dev.starling.transport.grpc.proto.UpdateHeader;
import dev.starling.transport.grpc.proto.EncodedPayload;
import dev.starling.transport.grpc.wire.ByteLane;
import dev.starling.transport.grpc.wire.ChunkAssembler;
import dev.starling.transport.grpc.wire.EncodedAssembler;
import dev.starling.transport.grpc.wire.Convert;
import dev.starling.transport.grpc.wire.Outbox;
import dev.starling.transport.grpc.wire.Payloads;
import dev.starling.transport.grpc.wire.CompactSubModels;
import dev.starling.transport.grpc.wire.SubModelTerms;
import dev.starling.transport.grpc.wire.WireMarshalling;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.ManagedChannel;
import io.grpc.Metadata;
import io.grpc.Status;
import io.grpc.TlsChannelCredentials;
import io.grpc.stub.ClientCallStreamObserver;
import io.grpc.stub.ClientResponseObserver;
import io.grpc.stub.MetadataUtils;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The client runtime: dials the server (the server never dials clients, so clients may sit behind NAT),
 * keeps one session stream open, sends heartbeats, runs the tasks it is given one at a time and streams
 * the results back in chunks. When the connection breaks (server killed, network down) it reconnects
 * with exponential backoff and jitter, and gives up only after {@link ClientSettings#giveUpAfter()} of
 * failed attempts. {@link #run()} returns when the server says the run is complete.
 */
public final class FederationClient implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(FederationClient.class.getName());
  private static final int PROTOCOL_VERSION = 1;

  private final ClientSettings settings;
  private final Trainer.Factory factory;
  private final ManagedChannel channel;
  private final ExecutorService worker;
  private final ScheduledExecutorService timer;
  private final AtomicInteger tasksDone = new AtomicInteger();
  private final AtomicInteger rejections = new AtomicInteger();
  private final AtomicInteger skips = new AtomicInteger();
  private volatile Trainer trainer;
  private volatile String lastRejection = "";
  private volatile boolean closed;
  private volatile int dropBeforeUnmaskRound = -1;
  private volatile boolean offerCompactSubModels = true;
  private volatile SecAggIdentity secAggIdentity;
  private volatile Runnable dropAction;
  private final AtomicInteger maskedInputsSent = new AtomicInteger();
  private final java.util.concurrent.atomic.AtomicLong bytesReceived = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong bytesSentBefore = new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong bytesSentOnLane = new java.util.concurrent.atomic.AtomicLong();
  /** How long a byte lane may take to connect and be bound before the client goes on without it. */
  private static final java.time.Duration LANE_TIMEOUT = java.time.Duration.ofSeconds(5);
  private volatile Outbox<ClientMessage> currentOut;
  private volatile ClientStateFile stateFile;
  private volatile String runId = "";
  /** Encodes this client's updates when the server compresses traffic; kept across sessions with its residual. */
  private volatile UplinkEncoder uplink;

  public FederationClient(ClientSettings settings, Trainer.Factory factory) {
    this.settings = settings;
    this.factory = factory;
    this.channel = Grpc.newChannelBuilderForAddress(settings.host(), settings.port(), credentials(settings.tls().orElse(null)))
        .keepAliveTime(10, TimeUnit.SECONDS)
        .keepAliveTimeout(5, TimeUnit.SECONDS)
        .build();
    this.worker = Executors.newSingleThreadExecutor(r -> daemon(r, "starling-client-work-" + settings.clientId()));
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "starling-client-hb-" + settings.clientId()));
  }

  private static Thread daemon(Runnable r, String name) {
    Thread t = new Thread(r, name);
    t.setDaemon(true);
    return t;
  }

  private static ChannelCredentials credentials(TlsFiles tls) {
    if (tls == null) {
      return InsecureChannelCredentials.create();
    }
    try {
      TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
      if (tls.trust().isPresent()) {
        b.trustManager(tls.trust().get().toFile());
      }
      if (tls.certChain().isPresent()) {
        b.keyManager(tls.certChain().get().toFile(), tls.privateKey().orElseThrow().toFile());
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
    }
  }

  private volatile dev.starling.transport.grpc.wire.FeatureSums featureStatistics;

  /**
   * Keeps the trainer's own state ({@link Trainer#saveState()}: SCAFFOLD's client control variate, an
   * error-feedback residual) in a {@link ClientStateFile} in {@code dir}, written atomically after every
   * training job and loaded when the trainer is built, so a restarted client process continues with it.
   * A state file of another run or client makes the client leave with FAILED_PRECONDITION, as a privacy
   * mismatch does. Call before {@link #run()}.
   */
  /**
   * Takes part in authenticated secure aggregation with this identity (call before {@link #run}): the
   * client then lists {@code secagg-auth/1} in Hello, signs its keys and checks everyone's.
   */
  public FederationClient secAggIdentity(SecAggIdentity id) {
    dev.starling.core.error.Checks.checkArgument(id.clientId().equals(settings.clientId()), "secagg identity client id", "= "
        + settings.clientId(), id.clientId());
    this.secAggIdentity = id;
    return this;
  }

  /**
   * Whether to offer compact sub-model uploads (protocol v1.6, default true): the client lists
   * {@value CompactSubModels#CAPABILITY} in Hello and, when the Welcome allows it, sends a sub-model update as its
   * trained values plus a position bitmap instead of the full-shaped model plus a float32 mask. False behaves as a
   * v1.4/v1.5 client (compatibility tests). Call before {@link #run()}.
   */
  public FederationClient compactSubModelUploads(boolean offer) {
    this.offerCompactSubModels = offer;
    return this;
  }

  public FederationClient persistStateIn(java.nio.file.Path dir) {
    this.stateFile = new ClientStateFile(dir, settings.clientId());
    return this;
  }

  /**
   * The standardisation statistics of this client's raw training rows, sent once per session to a server
   * whose Welcome asks for them (agreed standardisation); the agreed standardiser then arrives with every
   * training task. Without them a client leaves such a run with FAILED_PRECONDITION. Sent in the clear
   * (inside TLS): the server learns the row count and per-feature means and variances. Call before
   * {@link #run()}.
   */
  public FederationClient shareFeatureStatistics(dev.starling.transport.grpc.wire.FeatureSums statistics) {
    this.featureStatistics = java.util.Objects.requireNonNull(statistics, "statistics");
    return this;
  }

  /** Tasks completed (trained or evaluated) over all sessions. */
  public int tasksDone() {
    return tasksDone.get();
  }

  /** Training tasks answered with a skip (event-triggered runs: too little change since the last upload). */
  public int skipsSent() {
    return skips.get();
  }

  /**
   * Fault injection for drills and tests: in secure aggregation round {@code round}, once the server asks
   * for unmasking shares (so it holds this client's masked input), abandon the session without answering,
   * as a client that crashes at that moment would; {@link #run()} then throws UNAVAILABLE.
   */
  public void dropBeforeUnmasking(int round) {
    dropBeforeUnmasking(round, null);
  }

  /**
   * As {@link #dropBeforeUnmasking(int)}, but runs {@code action} at that moment instead of abandoning
   * the session (the CLI's drill halts the whole process, like a crash).
   */
  public void dropBeforeUnmasking(int round, Runnable action) {
    dropAction = action;
    dropBeforeUnmaskRound = round;
  }

  /**
   * Serialized bytes of every message sent to the server over all sessions (protobuf, without HTTP/2 framing),
   * plus chunk bytes sent on byte lanes.
   */
  public long bytesSent() {
    Outbox<ClientMessage> o = currentOut;
    return bytesSentBefore.get() + bytesSentOnLane.get() + (o == null ? 0 : o.bytesWritten());
  }

  /** Serialized bytes of every message received from the server over all sessions. */
  public long bytesReceived() {
    return bytesReceived.get();
  }

  /** Masked inputs (secure aggregation rounds) sent over all sessions. */
  public int maskedInputsSent() {
    return maskedInputsSent.get();
  }

  /** Updates the server rejected, and the last reason. */
  public int rejections() {
    return rejections.get();
  }

  public String lastRejection() {
    return lastRejection;
  }

  /** How a session ended. */
  private record Ending(boolean runComplete, Status status, boolean welcomed, boolean droppedOnPurpose) {}

  /**
   * Takes part in the run until the server says it is complete. Throws {@link FlException}
   * UNAUTHENTICATED / PERMISSION_DENIED / FAILED_PRECONDITION at once when the server refuses this
   * client (retrying cannot help), and UNAVAILABLE after {@code giveUpAfter} without a session.
   */
  public void run() {
    RandomSource jitter = RandomSource.seeded(settings.clientId().hashCode());
    long backoff = settings.initialBackoff().toMillis();
    long failingSince = System.nanoTime();
    int attempt = 0;
    while (!closed) {
      Ending end = session(attempt++);
      if (end.droppedOnPurpose()) {
        throw new FlException(ErrorCode.UNAVAILABLE, "client " + settings.clientId()
            + " dropped out before unmasking round " + dropBeforeUnmaskRound + " (fault injection)");
      }
      if (end.runComplete()) {
        return;
      }
      Status.Code code = end.status().getCode();
      if (code == Status.Code.UNAUTHENTICATED || code == Status.Code.PERMISSION_DENIED
          || code == Status.Code.FAILED_PRECONDITION || code == Status.Code.INVALID_ARGUMENT) {
        throw new FlException(ErrorCode.valueOf(code == Status.Code.INVALID_ARGUMENT ? "INVALID_ARGUMENT" : code.name()),
            "server refused client " + settings.clientId() + ": " + code + ": " + end.status().getDescription());
      }
      if (end.welcomed()) {
        backoff = settings.initialBackoff().toMillis();
        failingSince = System.nanoTime();
      }
      if (System.nanoTime() - failingSince > settings.giveUpAfter().toNanos()) {
        throw new FlException(ErrorCode.UNAVAILABLE, "client " + settings.clientId() + ": server "
            + settings.host() + ":" + settings.port() + " unreachable for " + settings.giveUpAfter() + " (last: "
            + end.status() + ")");
      }
      long wait = backoff / 2 + (long) (jitter.nextDouble() * backoff / 2);
      LOG.log(Level.INFO, "client {0}: session ended ({1}); reconnecting in {2} ms", settings.clientId(),
          end.status().getCode(), wait);
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
      backoff = Math.min(settings.maxBackoff().toMillis(), backoff * 2);
    }
  }

  private Ending session(int attempt) {
    Metadata headers = new Metadata();
    headers.put(Metadata.Key.of("starling-client-id", Metadata.ASCII_STRING_MARSHALLER), settings.clientId());
    settings.token().ifPresent(t ->
        headers.put(Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER), "Bearer " + t));
    Session s = new Session();
    io.grpc.Channel withHeaders = io.grpc.ClientInterceptors.intercept(channel, MetadataUtils.newAttachHeadersInterceptor(headers));
    io.grpc.stub.ClientCalls.asyncBidiStreamingCall(
        withHeaders.newCall(WireMarshalling.clientSession(), io.grpc.CallOptions.DEFAULT), s);
    s.out.send(ClientMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(PROTOCOL_VERSION)
        .setClientId(settings.clientId()).setAttempt(attempt).addCapabilities(SecAggTask.CAPABILITY)
        .addCapabilities(Payloads.CODEC_CAPABILITY).addCapabilities(SubModelTerms.CAPABILITY)
        .addCapabilities(ByteLane.CAPABILITY)
        .addAllCapabilities(offerCompactSubModels ? java.util.List.of(CompactSubModels.CAPABILITY) : java.util.List.of())
        .addAllCapabilities(secAggIdentity == null ? java.util.List.of()
            : java.util.List.of(SecAggTask.AUTH_CAPABILITY))).build());
    try {
      s.done.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      s.cancel();
    }
    return new Ending(s.runComplete, s.status, s.welcomed, s.droppedOnPurpose);
  }

  /** One session stream; inbound callbacks arrive in order on gRPC's executor. */
  private final class Session implements ClientResponseObserver<ClientMessage, ServerMessage> {
    final CountDownLatch done = new CountDownLatch(1);
    Outbox<ClientMessage> out;
    ClientCallStreamObserver<ClientMessage> requests;
    volatile boolean runComplete;
    volatile boolean welcomed;
    volatile Status status = Status.OK;
    volatile boolean droppedOnPurpose;
    /** The Welcome allows compact sub-model updates (v1.6). */
    volatile boolean compactSubModels;
    final java.util.Map<Long, java.util.concurrent.BlockingQueue<Object>> mailboxes = new java.util.concurrent.ConcurrentHashMap<>();
    ScheduledFuture<?> heartbeats;
    /** Tasks the server refused or abandoned (deadline, stalled upload): their upload stops at the next chunk. */
    final java.util.Set<Long> rejected = java.util.concurrent.ConcurrentHashMap.newKeySet();
    TaskHeader task;
    ChunkAssembler incoming;
    EncodedAssembler incomingEncoded; // the task's model when it travels encoded
    CodecChain downlink; // the server's downlink codec, null for float32
    volatile ByteLane lane; // v1.7: chunk bytes beside the stream, when the server offered one and it connected

    @Override
    public void beforeStart(ClientCallStreamObserver<ClientMessage> r) {
      requests = r;
      out = new Outbox<>(r, ClientMessage::getSerializedSize,
          Thread.ofPlatform().daemon().name("starling-client-send-" + settings.clientId()));
      currentOut = out;
    }

    void cancel() {
      requests.cancel("client closing", null);
    }

    @Override
    public void onNext(ServerMessage m) {
      bytesReceived.addAndGet(m.getSerializedSize() + (m.hasChunk() ? m.getChunk().getLaneBytes() : 0));
      try {
        handle(m);
      } catch (FlException e) {
        // a malformed or abandoned download: drop that task (telling the server why), keep the session
        LOG.log(Level.WARNING, "client {0}: dropping task: {1}", settings.clientId(), e.getMessage());
        if (task != null) {
          out.send(ClientMessage.newBuilder().setTaskFailed(TaskFailed.newBuilder().setTaskId(task.getTaskId())
              .setCode(e.code().name()).setMessage(String.valueOf(e.getMessage()))).build());
        }
        task = null;
        incoming = null;
        incomingEncoded = null;
      }
    }

    /**
     * Takes the codecs the Welcome announces: parses them (a spec this build does not know refuses the
     * run with FAILED_PRECONDITION, naming it) and keeps the uplink encoder, with its error-feedback
     * residual, when a reconnect announces the same one.
     */
    private void codecs(dev.starling.transport.grpc.proto.Welcome w) {
      downlink = null;
      if (w.getUplinkCodec().isEmpty()) {
        uplink = null;
        return;
      }
      CodecChain up = parseCodec(w.getUplinkCodec(), "uplink");
      if (!w.getDownlinkCodec().isEmpty()) {
        downlink = parseCodec(w.getDownlinkCodec(), "downlink");
      }
      UplinkEncoder old = uplink;
      if (old == null || !old.codec().describe().equals(up.describe()) || old.errorFeedback() != w.getErrorFeedback()) {
        try {
          uplink = new UplinkEncoder(up, w.getErrorFeedback());
        } catch (IllegalArgumentException e) {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server's uplink settings are unusable: " + e.getMessage());
        }
      }
    }

    /**
     * Connects the byte lane the Welcome offers (v1.7), to the host this client dialled. A lane that cannot be
     * set up is not fatal: every chunk's bytes then stay in the stream, as with a server that offers none.
     */
    private void connectLane(dev.starling.transport.grpc.proto.ByteLane offer) {
      try {
        ByteLane l = ByteLane.connect(settings.host(), offer.getPort(), offer.getLaneId(), offer.getToken().toByteArray(),
            LANE_TIMEOUT);
        out.useLane(l, e -> { // before `lane` is set: an upload that sees the lane finds the outbox ready for it
          LOG.log(Level.WARNING, "client {0}: byte lane failed: {1}", settings.clientId(), e.getMessage());
          cancel();
        });
        lane = l;
      } catch (java.io.IOException e) {
        LOG.log(Level.WARNING, "client {0}: no byte lane to {1}:{2} ({3}); chunks stay in the stream",
            settings.clientId(), settings.host(), String.valueOf(offer.getPort()), e.getMessage());
      }
    }

    /**
     * A download chunk whose bytes follow on the byte lane: read them now, in the stream's order, straight into
     * the model; those of a task this client is not receiving are read and dropped. A lane that fails ends the
     * session (it cannot be back in step); bytes announced without a lane are a protocol error.
     */
    private void laneChunk(dev.starling.transport.grpc.proto.Chunk c) {
      ByteLane l = lane;
      if (l == null) {
        Status s = Status.INTERNAL.withDescription("the server announced " + c.getLaneBytes()
            + " lane bytes but this session has no byte lane");
        requests.cancel(s.getDescription(), null);
        end(s);
        return;
      }
      try {
        if (incoming != null && c.getTaskId() == task.getTaskId()) {
          if (incomingEncoded != null && c.getPayload() == 0) {
            incomingEncoded.accept(c, l);
          } else {
            incoming.accept(c, l);
          }
        } else {
          l.skip(c.getLaneBytes());
        }
      } catch (java.io.IOException e) {
        Status s = Status.UNAVAILABLE.withDescription("byte lane failed: " + e.getMessage());
        requests.cancel(s.getDescription(), e);
        end(s);
      }
    }

    private CodecChain parseCodec(String spec, String which) {
      try {
        return Codecs.parse(spec);
      } catch (LinkageError e) { // the edge artifact leaves zstd-jni out: a zstd codec needs it on the classpath
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server's " + which + " codec '" + spec
            + "' needs a library this client does not have (" + e + "); add com.github.luben:zstd-jni or use a codec"
            + " without zstd");
      } catch (IllegalArgumentException e) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server's " + which + " codec '" + spec
            + "' is not supported by this client: " + e.getMessage());
      }
    }

    private void handle(ServerMessage m) {
      switch (m.getBodyCase()) {
        case WELCOME -> {
          welcomed = true;
          var w = m.getWelcome();
          compactSubModels = offerCompactSubModels && w.hasSubmodel() && w.getCompactSubmodel();
          if (w.hasByteLane()) {
            connectLane(w.getByteLane());
          }
          {
            try {
              codecs(w);
              if (trainer == null) {
                java.util.Optional<SubModelTerms> sub;
                try {
                  sub = w.hasSubmodel() ? java.util.Optional.of(SubModelTerms.fromProto(w.getSubmodel()))
                      : java.util.Optional.empty();
                } catch (IllegalArgumentException e) {
                  throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server's sub-model settings are unusable: "
                      + e.getMessage());
                }
                Trainer t = factory.create(new Trainer.Terms(w.getModel(), w.getStrategy(), w.getClientDp(),
                    w.getClientDpSeededNoise(), sub, settings.clientId()));
                if (w.hasEventThreshold()) { // event-triggered run (v1.5): upload only enough accumulated change
                  t = Trainer.eventTriggered(t, w.getEventThreshold());
                }
                ClientStateFile f = stateFile;
                if (f != null) {
                  var saved = f.load(w.getRunId());
                  if (saved.isPresent()) {
                    t.restoreState(saved.get().state());
                    LOG.log(Level.INFO, "client {0}: restored its state after round {1} from {2}", new Object[] {
                        settings.clientId(), saved.get().round(), f.path()});
                  }
                }
                trainer = t;
              }
              if (w.getAgreeStatistics()) {
                dev.starling.transport.grpc.wire.FeatureSums f = featureStatistics;
                if (f == null) {
                  throw new FlException(ErrorCode.FAILED_PRECONDITION, "the server agrees standardisation statistics"
                      + " with its clients, but this client has none to share (it does not standardise its data)");
                }
                out.send(ClientMessage.newBuilder().setFeatureStatistics(f.toProto()).build());
              }
              runId = w.getRunId();
            } catch (FlException e) {
              // this client cannot take part as the server requires (e.g. its privacy): leave for good
              LOG.log(Level.WARNING, "client {0}: cannot join run {1}: {2}", new Object[] {settings.clientId(), w.getRunId(),
                  e.getMessage()});
              Status refusal = Status.FAILED_PRECONDITION.withDescription(e.getMessage());
              requests.cancel(e.getMessage(), null);
              end(refusal);
              return;
            }
          }
          long hb = Math.max(50, w.getHeartbeatMillis());
          heartbeats = timer.scheduleAtFixedRate(() -> out.send(ClientMessage.newBuilder()
              .setHeartbeat(Heartbeat.newBuilder().setSentUnixMillis(System.currentTimeMillis())).build()),
              hb, hb, TimeUnit.MILLISECONDS);
          LOG.log(Level.INFO, "client {0}: joined run {1} at round {2}", settings.clientId(), w.getRunId(), w.getNextRound());
        }
        case TASK_HEADER -> {
          task = m.getTaskHeader();
          incoming = null;
          incomingEncoded = null;
          String source = "task " + task.getTaskId() + " from the server";
          if (task.hasEncoded()) {
            if (downlink == null || !downlink.describe().equals(task.getEncoded().getCodec())) {
              throw new FlException(ErrorCode.INVALID_ARGUMENT, source + ": model encoded with '"
                  + task.getEncoded().getCodec() + "', but the Welcome announced downlink codec "
                  + (downlink == null ? "none" : "'" + downlink.describe() + "'"));
            }
            incomingEncoded = new EncodedAssembler(task.getEncoded().getBytes(),
                EncodedAssembler.maxEncodedBytes(Payloads.modelValues(task.getSpec())), source);
          }
          incoming = new ChunkAssembler(task.getSpec(), Long.MAX_VALUE, false, source, task.hasEncoded());
        }
        case CHUNK -> {
          if (m.getChunk().getLaneBytes() > 0) {
            laneChunk(m.getChunk());
          } else if (incoming != null && m.getChunk().getTaskId() == task.getTaskId()) {
            if (incomingEncoded != null && m.getChunk().getPayload() == 0) {
              incomingEncoded.accept(m.getChunk());
            } else {
              incoming.accept(m.getChunk());
            }
          }
        }
        case TASK_END -> {
          if (task != null && incoming != null && m.getTaskEnd().getTaskId() == task.getTaskId()) {
            ParameterSet global;
            Attachments down;
            if (incomingEncoded != null) {
              down = incoming.attachments(m.getTaskEnd().getValues());
              try {
                global = Payloads.unflatten(task.getSpec().getModelList(), downlink.decode(incomingEncoded.bytes()));
              } catch (IllegalArgumentException e) {
                throw new FlException(ErrorCode.INVALID_ARGUMENT, "task " + task.getTaskId()
                    + " from the server: undecodable model: " + e.getMessage());
              }
            } else {
              global = incoming.model(m.getTaskEnd().getValues());
              down = incoming.attachments();
            }
            TaskHeader h = task;
            task = null;
            incoming = null;
            incomingEncoded = null;
            if (h.hasSecagg()) {
              mailboxes.put(h.getTaskId(), new java.util.concurrent.LinkedBlockingQueue<>());
            }
            worker.execute(() -> runTask(h, global, down));
          }
        }
        case PROTOCOL -> {
          var box = mailboxes.get(m.getProtocol().getTaskId());
          if (box != null) {
            box.add(m.getProtocol());
          }
        }
        case TASK_REJECTED -> {
          rejected.add(m.getTaskRejected().getTaskId());
          var box = mailboxes.get(m.getTaskRejected().getTaskId());
          if (box != null) {
            box.add(m.getTaskRejected());
          }
          if (task != null && task.getTaskId() == m.getTaskRejected().getTaskId()) {
            task = null; // expired while it was still being downloaded
            incoming = null;
            incomingEncoded = null;
          }
          rejections.incrementAndGet();
          lastRejection = m.getTaskRejected().getCode() + ": " + m.getTaskRejected().getMessage();
          LOG.log(Level.WARNING, "client {0}: server rejected task {1}: {2}", settings.clientId(),
              m.getTaskRejected().getTaskId(), lastRejection);
        }
        case SHUTDOWN -> {
          runComplete = m.getShutdown().getRunComplete();
          LOG.log(Level.INFO, "client {0}: server shut down the session: {1}", settings.clientId(),
              m.getShutdown().getReason());
        }
        default -> { }
      }
    }

    private void runTask(TaskHeader h, ParameterSet global, Attachments down) {
      try {
        if (trainer == null) {
          throw new FlException(ErrorCode.FAILED_PRECONDITION, "task " + h.getTaskId() + " arrived before Welcome");
        }
        if (h.getKind() == TaskKind.TASK_KIND_EVALUATE) {
          EvalResult r = trainer.evaluate(global);
          out.send(ClientMessage.newBuilder().setEvalReply(EvalReply.newBuilder().setTaskId(h.getTaskId())
              .setNumExamples(r.numExamples()).putAllMetrics(Convert.metrics(r.metrics()))).build());
        } else if (h.hasSecagg()) {
          TrainConfig cfg = Convert.config(h.getRound(), h.getTrain(), down);
          try {
            boolean finished = new SecAggTask(h, global, mailboxes.get(h.getTaskId()), out, settings.chunkValues(),
                h.getRound() == dropBeforeUnmaskRound, maskedInputsSent::incrementAndGet, secAggIdentity).run(g -> trainer.fit(g, cfg));
            persistState(h.getRound());
            if (!finished) {
              Runnable action = dropAction;
              if (action != null) {
                action.run();
              }
              droppedOnPurpose = true;
              cancel();
              return;
            }
          } finally {
            mailboxes.remove(h.getTaskId());
          }
        } else {
          TrainConfig cfg = Convert.config(h.getRound(), h.getTrain(), down);
          UplinkEncoder enc = uplink;
          if (enc == null) {
            TrainResult r = trainer.fit(global, cfg);
            persistState(h.getRound());
            if (EventTrigger.skipped(r)) {
              sendSkip(h, r);
            } else {
              sendUpdate(h, r, null, null);
            }
          } else {
            float[] x = global.flatten(); // before fit: a trainer may update the model in place
            TrainResult r = trainer.fit(global, cfg);
            persistState(h.getRound());
            if (EventTrigger.skipped(r)) {
              sendSkip(h, r);
              tasksDone.incrementAndGet();
              return;
            }
            float[] d = r.parameters().flatten();
            for (int i = 0; i < d.length; i++) {
              d[i] -= x[i];
            }
            sendUpdate(h, r, enc.encode(d, cfg.seed()), enc.codec().describe());
          }
        }
        tasksDone.incrementAndGet();
      } catch (RuntimeException e) {
        LOG.log(Level.WARNING, "client {0}: task {1} failed: {2}", settings.clientId(), h.getTaskId(), e.toString());
        ErrorCode code = e instanceof FlException fe ? fe.code() : ErrorCode.UNKNOWN;
        out.send(ClientMessage.newBuilder().setTaskFailed(TaskFailed.newBuilder().setTaskId(h.getTaskId())
            .setCode(code.name()).setMessage(String.valueOf(e.getMessage()))).build());
      }
    }

    /** Saves the trainer's state after a training job of {@code round}, if this client persists it. */
    private void persistState(int round) {
      ClientStateFile f = stateFile;
      if (f != null) {
        f.save(runId, round, trainer.saveState());
      }
    }

    /**
     * Answers training task {@code h} with a skip (event-triggered runs, v1.5): an UpdateHeader with
     * {@code skipped} set, the job's metrics, no payload; nothing follows it.
     */
    private void sendSkip(TaskHeader h, TrainResult r) {
      if (rejected.contains(h.getTaskId())) {
        return;
      }
      skips.incrementAndGet();
      out.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(h.getTaskId())
          .setRound(h.getRound()).setLocalSteps(r.localSteps()).putAllMetrics(Convert.metrics(r.metrics()))
          .setSkipped(true)).build());
    }

    /** Streams {@code r} back: its model as float32 chunks, or as {@code encoded} (the encoded delta) when not null. */
    private void sendUpdate(TaskHeader h, TrainResult r, byte[] encoded, String codec) {
      if (rejected.contains(h.getTaskId())) {
        LOG.log(Level.INFO, "client {0}: task {1} was abandoned by the server; its update is not sent", settings.clientId(),
            h.getTaskId());
        return;
      }
      Attachments attachments = r.attachments();
      ParameterSet mask = encoded == null && compactSubModels
          ? attachments.get(AttachmentKey.TRAINED_MASK).filter(k -> k.sameSpec(r.parameters()))
              .filter(k -> CompactSubModels.binary(k.flatten())).orElse(null) : null;
      long trained = 0;
      if (mask != null) { // v1.6: the trained values plus a position bitmap; the bitmap replaces the mask attachment
        float[] k = mask.flatten();
        trained = CompactSubModels.trained(k);
        encoded = CompactSubModels.encode(r.parameters().flatten(), k);
        Attachments rest = Attachments.none();
        for (var e : attachments.asMap().entrySet()) {
          if (!e.getKey().equals(AttachmentKey.TRAINED_MASK)) {
            rest = rest.with(e.getKey(), e.getValue());
          }
        }
        attachments = rest;
      }
      List<ParameterSet> payloads = Payloads.ordered(r.parameters(), attachments);
      UpdateHeader.Builder header = UpdateHeader.newBuilder().setTaskId(h.getTaskId())
          .setRound(h.getRound()).setNumExamples(r.numExamples()).setLocalSteps(r.localSteps())
          .putAllMetrics(Convert.metrics(r.metrics())).setSpec(Payloads.spec(r.parameters(), attachments));
      if (mask != null) {
        header.setCompactSubmodel(CompactSubModel.newBuilder().setBytes(encoded.length).setValues(trained));
      } else if (encoded != null) {
        header.setEncoded(EncodedPayload.newBuilder().setCodec(codec).setBytes(encoded.length));
      }
      out.send(ClientMessage.newBuilder().setUpdateHeader(header).build());
      long values = encoded == null ? Payloads.values(payloads) : Payloads.attachmentValues(payloads);
      long taskId = h.getTaskId();
      // v1.7: on a byte lane each chunk's bytes follow its announcement there, written straight from the update (a
      // tensor of up to 16 Mi values is one announcement); in the stream each chunk carries its data (no trailer)
      Iterator<Payloads.LaneChunk> chunks = lane != null
          ? (encoded == null ? Payloads.laneChunks(taskId, payloads) : Payloads.laneEncodedChunks(taskId, encoded, payloads))
          : Payloads.inStream(encoded == null ? Payloads.chunks(taskId, payloads, settings.chunkValues())
              : Payloads.encodedChunks(taskId, encoded, payloads, settings.chunkValues()));
      out.sendTrailed(new Iterator<>() {
        private boolean ended;

        @Override
        public boolean hasNext() {
          return !ended && !rejected.contains(taskId); // the server gave up on the task: stop uploading
        }

        @Override
        public Outbox.Trailed<ClientMessage> next() {
          if (chunks.hasNext()) {
            Payloads.LaneChunk c = chunks.next();
            bytesSentOnLane.addAndGet(c.trailer().size());
            return new Outbox.Trailed<>(ClientMessage.newBuilder().setChunk(c.announcement()).build(), c.trailer());
          }
          ended = true;
          return new Outbox.Trailed<>(ClientMessage.newBuilder().setUpdateEnd(UpdateEnd.newBuilder().setTaskId(taskId)
              .setValues(values)).build(), ByteLane.Trailer.NONE);
        }
      });
    }

    private void end(Status s) {
      if (done.getCount() == 0) {
        return; // already ended (e.g. refused by this client, then cancelled)
      }
      status = s;
      if (heartbeats != null) {
        heartbeats.cancel(false);
      }
      out.close();
      ByteLane l = lane;
      if (l != null) {
        l.close();
      }
      if (currentOut == out) {
        bytesSentBefore.addAndGet(out.bytesWritten());
        currentOut = null;
      }
      mailboxes.values().forEach(b -> b.add(s));
      done.countDown();
    }

    @Override
    public void onError(Throwable t) {
      end(Status.fromThrowable(t));
    }

    @Override
    public void onCompleted() {
      end(runComplete ? Status.OK : Status.UNAVAILABLE.withDescription("server ended the session"));
    }
  }

  @Override
  public void close() {
    closed = true;
    worker.shutdownNow();
    timer.shutdownNow();
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
