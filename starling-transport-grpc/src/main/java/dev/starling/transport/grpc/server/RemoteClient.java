package dev.starling.transport.grpc.server;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.EvalResult;
import dev.starling.core.learner.EventTrigger;
import dev.starling.core.learner.TrainConfig;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.privacy.secagg.SecAggMessages;
import dev.starling.privacy.secagg.SecAggWire;
import dev.starling.transport.grpc.proto.PayloadSpec;
import dev.starling.transport.grpc.proto.ProtocolMessage;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.TaskEnd;
import dev.starling.transport.grpc.proto.TaskHeader;
import dev.starling.transport.grpc.proto.TaskKind;
import dev.starling.transport.grpc.proto.TaskRejected;
import dev.starling.transport.grpc.proto.UpdateHeader;
import dev.starling.transport.grpc.proto.EncodedPayload;
import dev.starling.transport.grpc.wire.ChunkAssembler;
import dev.starling.transport.grpc.wire.CompactSubModels;
import dev.starling.transport.grpc.wire.ByteLane;
import dev.starling.transport.grpc.wire.EncodedAssembler;
import dev.starling.transport.grpc.wire.Convert;
import dev.starling.transport.grpc.wire.Outbox;
import dev.starling.transport.grpc.wire.Payloads;
import java.lang.System.Logger.Level;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server's {@link ClientProxy} for one connected client session. Tasks are queued on the client's
 * own stream (the client dialled in, so the server never opens a connection); the returned future
 * completes when the client's reply has been streamed back, reassembled and checked. Every chunk of an
 * update is checked as it arrives (tensor order and shapes, size limit, finite values) and the round
 * number is checked against the task, so a bad update is rejected with a {@code TaskRejected} message to
 * that client and a failed future (recorded by the round loop with the client id and reason); it never
 * reaches the strategy. When the session dies every pending task fails at once with UNAVAILABLE, so a
 * killed client costs the round nothing beyond its own absence. Thread-safe.
 */
final class RemoteClient implements ClientProxy {
  private static final System.Logger LOG = System.getLogger(RemoteClient.class.getName());
  private static final AtomicLong TASK_IDS = new AtomicLong();

  private final ClientId id;
  private final Outbox<ServerMessage> out;
  private final FederationServer server;
  private final Map<Long, Task> tasks = new ConcurrentHashMap<>();
  private final Ticker ticker;
  private volatile long lastSeenNanos;
  private volatile boolean waitingForSlot;
  private volatile String deadReason;
  private volatile ByteLane lane; // this session's byte lane once the client connected it (v1.7)
  private long laneBytesAtCheck; // the lane's bytes read at the last stall check (the timeout checker's thread only)
  private final java.util.List<Runnable> onDeath = new java.util.concurrent.CopyOnWriteArrayList<>();
  private final java.util.Set<String> capabilities;

  RemoteClient(ClientId id, Outbox<ServerMessage> out, FederationServer server, java.util.Collection<String> capabilities) {
    this.id = id;
    this.out = out;
    this.server = server;
    this.ticker = server.ticker();
    this.lastSeenNanos = ticker.nanos();
    this.capabilities = java.util.Set.copyOf(capabilities);
  }

  /** One task in flight. Fields after construction are touched by the inbound thread only. */
  private final class Task {
    final long taskId = TASK_IDS.incrementAndGet();
    final int round;
    final boolean fit;
    final PayloadSpec expectedModel;
    final ParameterSet global; // what was sent: an encoded update is a delta from it
    final CompletableFuture<FitOutcome> fitFuture;
    final CompletableFuture<EvalResult> evalFuture;
    final AtomicLong bytesDown = new AtomicLong();
    long bytesUp;
    UpdateHeader header;
    volatile ChunkAssembler assembler;
    volatile EncodedAssembler encoded; // the encoded model delta being reassembled (wire compression)
    boolean secagg; // a secure aggregation task: only a masked input is accepted
    volatile int[] maskedBuffer; // the masked input being reassembled
    int maskedFill;
    UploadGate.Slot slot; // guarded by this
    boolean failed; // guarded by this
    volatile long progressNanos; // ticker reading when the upload last made progress (slot taken, data received)

    /** Keeps {@code s} unless the task is already over, in which case it is released at once. */
    synchronized boolean holdSlot(UploadGate.Slot s) {
      if (failed || future().isDone()) {
        s.release();
        return false;
      }
      progressNanos = ticker.nanos();
      slot = s;
      return true;
    }

    /** True while this task holds an upload slot and has made no progress since {@code now - limit}. */
    synchronized boolean stalled(long now, long limitNanos) {
      return slot != null && now - progressNanos > limitNanos;
    }

    /** Hands the held slot over (to wait for the fold), or null. */
    synchronized UploadGate.Slot takeSlot() {
      UploadGate.Slot s = slot;
      slot = null;
      return s;
    }

    synchronized void releaseSlot() {
      if (slot != null) {
        slot.release();
        slot = null;
      }
    }

    Task(int round, boolean fit, ParameterSet global) {
      this.round = round;
      this.fit = fit;
      this.expectedModel = Payloads.spec(global, Attachments.none());
      this.global = global;
      this.fitFuture = fit ? new CompletableFuture<>() : null;
      this.evalFuture = fit ? null : new CompletableFuture<>();
    }

    CompletableFuture<?> future() {
      return fit ? fitFuture : evalFuture;
    }

    /**
     * Fails the task. The upload slot is released before the future completes, so whoever waits on the
     * future (the round loop) never sees a slot still held by a task that is over.
     */
    void fail(FlException e) {
      synchronized (this) {
        failed = true;
        assembler = null;
        encoded = null;
        maskedBuffer = null;
        releaseSlot();
      }
      future().completeExceptionally(e);
    }
  }

  @Override
  public ClientId id() {
    return id;
  }

  boolean alive() {
    return deadReason == null;
  }

  long silentNanos() {
    return waitingForSlot ? 0 : ticker.nanos() - lastSeenNanos;
  }

  /** True once the client has been silent for more than two heartbeat intervals (its session is likely dead). */
  boolean missedHeartbeats() {
    return silentNanos() > 2 * server.settings().heartbeat().toNanos();
  }

  /**
   * Fails every task whose upload holds a slot but has sent nothing for more than {@code limitNanos}
   * (at ticker reading {@code now}): the slot goes back to the gate and the client is told.
   */
  void expireStalledUploads(long now, long limitNanos) {
    ByteLane l = lane;
    boolean laneMoved = false;
    if (l != null) {
      // a chunk on a lane may be large (a whole tensor): bytes arriving on it since the last check are progress
      long read = l.bytesRead();
      laneMoved = read != laneBytesAtCheck;
      laneBytesAtCheck = read;
    }
    for (Task t : tasks.values()) {
      if (laneMoved && t.header != null) {
        t.progressNanos = now;
      }
      if (t.stalled(now, limitNanos)) {
        reject(t.taskId, t, new FlException(ErrorCode.DEADLINE_EXCEEDED, "update of client " + id + " (round " + t.round
            + "): upload stalled, nothing received for " + (now - t.progressNanos) / 1_000_000
            + " ms (upload-idle-timeout " + server.settings().uploadIdleTimeout() + "); its upload slot was freed"));
        if (lane != null) {
          // the stream's thread may be blocked reading announced bytes that never come: only closing the lane
          // frees it, and a lane missing announced bytes is out of step for good
          String why = "upload stalled on its byte lane";
          server.clients().drop(this, why, io.grpc.Status.DEADLINE_EXCEEDED.withDescription(why));
          return;
        }
      }
    }
  }

  @Override
  public CompletableFuture<FitOutcome> fit(ParameterSet global, TrainConfig config) {
    Task t = new Task(config.round(), true, global);
    SecAggCoordinator secagg = server.secAgg();
    if (secagg == null) {
      send(t, global, Convert.downAttachments(config), TaskHeader.newBuilder().setKind(TaskKind.TASK_KIND_FIT)
          .setTrain(Convert.settings(config)));
      return t.fitFuture;
    }
    t.secagg = true;
    if (!capabilities.contains(SecAggSettings.CAPABILITY)) {
      t.fail(new FlException(ErrorCode.FAILED_PRECONDITION, capabilities.contains(SecAggWire.PREVIOUS_PROTOCOL)
          ? "client " + id + " speaks " + SecAggWire.PREVIOUS_PROTOCOL + " (HMAC key derivation) but this server runs "
              + SecAggSettings.CAPABILITY + " (HKDF key derivation); upgrade the client to take part in secure aggregation"
          : "client " + id + " does not speak " + SecAggSettings.CAPABILITY
              + " (it would send its update in the clear); this run uses secure aggregation"));
      return t.fitFuture;
    }
    if (secagg.settings().authenticated()) {
      String why = !capabilities.contains(SecAggSettings.AUTH_CAPABILITY)
          ? "client " + id + " holds no secure aggregation identity key (it does not list " + SecAggSettings.AUTH_CAPABILITY
              + "); this run uses authenticated secure aggregation (secagg-auth)"
          : !secagg.settings().identities().containsKey(id.value())
              ? "client " + id + " has no registered identity public key (secagg-keys); this run uses authenticated"
                  + " secure aggregation (secagg-auth)"
              : null;
      if (why != null) {
        t.fail(new FlException(ErrorCode.PERMISSION_DENIED, why));
        return t.fitFuture;
      }
    }
    if (register(t)) {
      // the task goes out once the round's secure aggregation parameters are fixed (all clients enlisted)
      secagg.enlist(this, t.taskId, t.round, t.fitFuture, setup -> transmit(t, global, Convert.downAttachments(config),
          TaskHeader.newBuilder().setKind(TaskKind.TASK_KIND_FIT).setTrain(Convert.settings(config)).setSecagg(setup)
              .setDeadlineUnixMillis(System.currentTimeMillis() + secagg.settings().roundTimeout().toMillis())));
    }
    return t.fitFuture;
  }

  /** Fails task {@code taskId}, if still open, telling the client why. */
  void failTask(long taskId, FlException e) {
    Task t = tasks.get(taskId);
    if (t != null) {
      reject(taskId, t, e);
    }
  }

  @Override
  public CompletableFuture<EvalResult> evaluate(ParameterSet global) {
    Task t = new Task(server.currentRound(), false, global);
    send(t, global, Attachments.none(), TaskHeader.newBuilder().setKind(TaskKind.TASK_KIND_EVALUATE));
    return t.evalFuture;
  }

  private void send(Task t, ParameterSet global, Attachments down, TaskHeader.Builder header) {
    if (register(t)) {
      transmit(t, global, down, header);
    }
  }

  /** Makes {@code t} known to the inbound side; false (and {@code t} failed) if the client is gone. */
  private boolean register(Task t) {
    if (!alive()) {
      t.fail(new FlException(ErrorCode.UNAVAILABLE, "client " + id + " is disconnected: " + deadReason));
      return false;
    }
    tasks.put(t.taskId, t);
    if (!alive()) { // died between the check above and the put: die() may have missed this task
      t.fail(new FlException(ErrorCode.UNAVAILABLE, "client " + id + " is disconnected: " + deadReason));
      tasks.remove(t.taskId);
      return false;
    }
    t.future().whenComplete((v, e) -> {
      Task gone = tasks.remove(t.taskId);
      if (e != null && gone != null) {
        gone.releaseSlot();
        gone.assembler = null;
        gone.encoded = null;
        gone.maskedBuffer = null;
        if (e instanceof java.util.concurrent.CancellationException) {
          // the round loop gave up on this task (deadline): tell the client to stop sending
          out.send(ServerMessage.newBuilder().setTaskRejected(TaskRejected.newBuilder().setTaskId(t.taskId)
              .setCode(ErrorCode.DEADLINE_EXCEEDED.name()).setMessage("round " + t.round + " deadline passed")).build());
        }
      }
    });
    return true;
  }

  private void transmit(Task t, ParameterSet global, Attachments down, TaskHeader.Builder header) {
    List<ParameterSet> payloads = Payloads.ordered(global, down);
    header.setTaskId(t.taskId).setRound(t.round).setSpec(Payloads.spec(global, down));
    dev.starling.compression.BroadcastEncoder downlink = server.downlink();
    byte[] encoded = null;
    if (t.fit && downlink != null && !header.hasSecagg()) {
      // the same bytes for every client of the round: encoded by the first task, shared by the others
      encoded = downlink.encode(global, t.round).bytes();
      header.setEncoded(EncodedPayload.newBuilder().setCodec(downlink.codec().describe()).setBytes(encoded.length));
    }
    ServerMessage h = ServerMessage.newBuilder().setTaskHeader(header).build();
    t.bytesDown.addAndGet(h.getSerializedSize());
    out.send(h);
    long values = encoded == null ? Payloads.values(payloads) : Payloads.attachmentValues(payloads);
    // v1.7: on a byte lane each chunk's bytes follow its announcement there (a tensor of up to 16 Mi values is one
    // announcement); in the stream, or on the lanes, float32 chunks are encoded once per round and shared by every
    // client (for lanes into direct buffers, which the sockets write without a copy)
    int chunkValues = server.settings().chunkValues();
    Iterator<Payloads.LaneChunk> chunks = lane != null
        ? (encoded == null ? Payloads.laneChunks(t.taskId, payloads, server.sharedLaneModel(global, t.round))
            : Payloads.laneEncodedChunks(t.taskId, encoded, payloads))
        : Payloads.inStream(encoded == null
            ? Payloads.chunks(t.taskId, payloads, chunkValues, server.sharedModel(global, t.round))
            : Payloads.encodedChunks(t.taskId, encoded, payloads, chunkValues));
    out.sendTrailed(new Iterator<>() {
      @Override
      public boolean hasNext() {
        return chunks.hasNext() && !t.future().isDone();
      }

      @Override
      public Outbox.Trailed<ServerMessage> next() {
        Payloads.LaneChunk c = chunks.next();
        ServerMessage m = ServerMessage.newBuilder().setChunk(c.announcement()).build();
        t.bytesDown.addAndGet(m.getSerializedSize() + c.trailer().size());
        return new Outbox.Trailed<>(m, c.trailer());
      }
    });
    ServerMessage end = ServerMessage.newBuilder()
        .setTaskEnd(TaskEnd.newBuilder().setTaskId(t.taskId).setValues(values)).build();
    out.sendAll(new Iterator<>() { // sent only if the task is still open once its chunks are out
      private boolean sent;

      @Override
      public boolean hasNext() {
        return !sent && !t.future().isDone();
      }

      @Override
      public ServerMessage next() {
        sent = true;
        t.bytesDown.addAndGet(end.getSerializedSize());
        return end;
      }
    });
  }

  /**
   * Ties a connected byte lane to this session: chunk bytes of later downloads travel on it, and the client may
   * send its uploads' chunk bytes on it. Returns false (and the lane is not used) if the session has ended or
   * already has one.
   */
  boolean attachLane(ByteLane l) {
    synchronized (onDeath) {
      if (!alive() || lane != null) {
        return false;
      }
      // the outbox first: a download that sees `lane` set must find the outbox ready to write on it
      out.useLane(l, e -> server.clients().drop(this, "its byte lane failed: " + e.getMessage(),
          io.grpc.Status.UNAVAILABLE.withDescription("byte lane failed: " + e.getMessage())));
      lane = l;
    }
    LOG.log(Level.DEBUG, "client {0}: byte lane bound", id);
    return true;
  }

  /** Whether the client's byte lane is bound (tests). */
  boolean hasLane() {
    return lane != null;
  }

  /** Runs {@code r} when this session ends (at once if it has). */
  void onDeath(Runnable r) {
    synchronized (onDeath) {
      if (alive()) {
        onDeath.add(r);
        return;
      }
    }
    r.run();
  }

  /** Ids of the tasks still open (tests and fuzzing address messages to them). */
  java.util.Set<Long> openTasks() {
    return java.util.Set.copyOf(tasks.keySet());
  }

  /** Handles one message from the client (called on the stream's inbound thread, in order). */
  void onMessage(ClientMessage m) {
    lastSeenNanos = ticker.nanos();
    switch (m.getBodyCase()) {
      case HEARTBEAT -> { }
      case UPDATE_HEADER -> onUpdateHeader(m.getUpdateHeader(), m.getSerializedSize());
      case CHUNK -> onChunk(m.getChunk(), m.getSerializedSize());
      case UPDATE_END -> onUpdateEnd(m.getUpdateEnd().getTaskId(), m.getUpdateEnd().getValues(), m.getSerializedSize());
      case EVAL_REPLY -> {
        Task t = tasks.get(m.getEvalReply().getTaskId());
        if (t != null && !t.fit) {
          t.evalFuture.complete(new EvalResult(m.getEvalReply().getNumExamples(),
              Convert.clientMetrics(m.getEvalReply().getMetricsMap())));
        }
      }
      case PROTOCOL -> onProtocol(m.getProtocol(), m.getSerializedSize());
      case TASK_FAILED -> {
        Task t = tasks.get(m.getTaskFailed().getTaskId());
        if (t != null) {
          t.fail(new FlException(Convert.code(m.getTaskFailed().getCode()),
              "client " + id + " failed: " + Convert.clientText(m.getTaskFailed().getMessage())));
        }
      }
      default -> LOG.log(Level.WARNING, "client {0} sent an unexpected {1}; ignored", id, m.getBodyCase());
    }
  }

  private void onUpdateHeader(UpdateHeader h, int size) {
    Task t = tasks.get(h.getTaskId());
    if (t == null) {
      reject(h.getTaskId(), null, new FlException(ErrorCode.FAILED_PRECONDITION,
          "update of client " + id + " for unknown or expired task " + h.getTaskId() + " (round " + h.getRound() + ")"));
      return;
    }
    String what = "update of client " + id + " (round " + t.round + ")";
    if (!t.fit) {
      reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT, what + ": the task was an evaluation"));
      return;
    }
    if (h.getSkipped()) {
      onSkip(t, h, size, what);
      return;
    }
    if (t.secagg != h.getMasked()) {
      reject(t.taskId, t, new FlException(t.secagg ? ErrorCode.PERMISSION_DENIED : ErrorCode.INVALID_ARGUMENT,
          t.secagg ? what + ": the round runs secure aggregation but the client sent its update in the clear;"
              + " refused, never aggregated" : what + ": a masked update for a task without secure aggregation"));
      return;
    }
    if (t.header != null) {
      reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT,
          what + ": a second UpdateHeader for the same task; refused, the task's upload is abandoned"));
      return;
    }
    if (h.getRound() != t.round) {
      reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT,
          what + ": wrong round " + h.getRound() + ", the task was for round " + t.round));
      return;
    }
    if (!h.getSpec().getModelList().equals(t.expectedModel.getModelList())) {
      reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT, what + ": wrong shape: model tensors "
          + describe(h.getSpec()) + ", expected " + describe(t.expectedModel)));
      return;
    }
    WireCompression wire = server.wire();
    if (!t.secagg && (wire != null) != h.hasEncoded()) {
      reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT, wire != null
          ? what + ": sent as float32 chunks, but this run expects updates encoded with " + wire.uplink().describe()
              + " (Welcome.uplink_codec)"
          : what + ": sent encoded (" + h.getEncoded().getCodec() + "), but this run expects float32 chunks"));
      return;
    }
    if (h.hasEncoded() && !h.getEncoded().getCodec().equals(wire.uplink().describe())) {
      reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT, what + ": encoded with '" + h.getEncoded().getCodec()
          + "', but this run's uplink codec is '" + wire.uplink().describe() + "'"));
      return;
    }
    if (h.hasCompactSubmodel()) {
      String bad = server.subModels() == null ? "a compact sub-model update, but this run trains no sub-models"
          : !capabilities.contains(CompactSubModels.CAPABILITY) ? "a compact sub-model update, but the client did not"
              + " list capability '" + CompactSubModels.CAPABILITY + "' in Hello"
          : t.secagg || h.getMasked() || h.hasEncoded() ? "a compact sub-model update that is also masked or encoded"
          : h.getSpec().getAttachmentsList().stream().anyMatch(a -> a.getKey().equals(AttachmentKey.TRAINED_MASK.name()))
              ? "a compact sub-model update that also sends a trained-mask attachment (the bitmap is the mask)" : null;
      if (bad != null) {
        reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT, what + ": " + bad));
        return;
      }
    }
    try {
      ChunkAssembler.check(h.getSpec(), server.settings().maxUpdateValues(), what);
      if (h.hasCompactSubmodel()) {
        CompactSubModels.check(t.global.size(), h.getCompactSubmodel().getValues(), h.getCompactSubmodel().getBytes(),
            what);
      }
      if (h.hasEncoded()) {
        EncodedAssembler.check(h.getEncoded().getBytes(), EncodedAssembler.maxEncodedBytes(t.global.size()), what);
      }
    } catch (FlException e) {
      reject(t.taskId, t, e);
      return;
    }
    t.header = h;
    t.bytesUp += size;
    // Take an upload slot before allocating the receive buffer; until then this stream is not read and
    // gRPC flow control holds the client back, so at most `slots` update buffers exist at any time.
    waitingForSlot = true;
    UploadGate.Slot slot = null;
    try {
      slot = server.gate().acquire(server.settings().uploadWait());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      waitingForSlot = false;
      lastSeenNanos = ticker.nanos();
    }
    if (slot == null) {
      reject(t.taskId, t, new FlException(ErrorCode.DEADLINE_EXCEEDED,
          what + ": no upload slot free within " + server.settings().uploadWait()));
      return;
    }
    if (!t.holdSlot(slot)) {
      return;
    }
    if (t.secagg) {
      t.maskedFill = 0;
      t.maskedBuffer = new int[Math.toIntExact(ChunkAssembler.check(h.getSpec(), Long.MAX_VALUE, what))];
      return;
    }
    try {
      if (h.hasCompactSubmodel()) {
        long bytes = h.getCompactSubmodel().getBytes();
        t.encoded = new EncodedAssembler(bytes, bytes, what);
        t.assembler = new ChunkAssembler(h.getSpec(), server.settings().maxUpdateValues(), true, what, true);
      } else if (h.hasEncoded()) {
        t.encoded = new EncodedAssembler(h.getEncoded().getBytes(), EncodedAssembler.maxEncodedBytes(t.global.size()), what);
        t.assembler = new ChunkAssembler(h.getSpec(), server.settings().maxUpdateValues(), true, what, true);
      } else {
        t.assembler = new ChunkAssembler(h.getSpec(), server.settings().maxUpdateValues(), true, what);
      }
    } catch (FlException e) {
      reject(t.taskId, t, e);
    }
  }

  /**
   * A skip reply (event-triggered runs, v1.5): the client's accumulated change is below the threshold, so no model
   * follows; the task completes at once with {@link EventTrigger#skip}'s result (no parameters, SKIPPED = 1), which
   * the driver counts as a skip, not a failure. Refused when the run is not event-triggered or the header carries a
   * payload.
   */
  private void onSkip(Task t, UpdateHeader h, int size, String what) {
    String bad = !server.acceptsSkips() ? "a skip reply, but this run is not event-triggered (sync = event:THRESHOLD)"
        : t.secagg || h.getMasked() ? "a skip reply to a secure aggregation task"
        : t.header != null ? "a skip reply after an UpdateHeader for the same task"
        : h.getRound() != t.round ? "wrong round " + h.getRound() + ", the task was for round " + t.round
        : h.getSpec().getModelCount() != 0 || h.getSpec().getAttachmentsCount() != 0 || h.hasEncoded()
            ? "a skip reply that names a payload" : null;
    if (bad != null) {
      reject(t.taskId, t, new FlException(ErrorCode.INVALID_ARGUMENT, what + ": " + bad));
      return;
    }
    t.header = h;
    t.bytesUp += size;
    Metrics.Builder m = Metrics.builder().putAll(Convert.clientMetrics(h.getMetricsMap())).put(EventTrigger.SKIPPED, 1);
    TrainResult r = new TrainResult(ParameterSet.of(List.of()), 0, h.getLocalSteps(), m.build());
    t.fitFuture.complete(new FitOutcome(r, t.bytesDown.get(), t.bytesUp));
  }

  /** A secure aggregation message: a slice of this client's masked input, or a message for the coordinator. */
  private void onProtocol(ProtocolMessage m, int size) {
    SecAggCoordinator secagg = server.secAgg();
    if (secagg == null) {
      LOG.log(Level.WARNING, "client {0} sent a {1} message but this server runs no secure aggregation; ignored", id,
          m.getProtocol());
      return;
    }
    Task t = tasks.get(m.getTaskId());
    int[] buf = t == null ? null : t.maskedBuffer;
    if (buf == null) {
      secagg.onProtocol(this, m, size);
      return;
    }
    String what = "masked input of client " + id + " (round " + t.round + ")";
    try {
      if (!(SecAggWire.decode(m.getPayload().toByteArray()) instanceof SecAggMessages.MaskedInput slice)) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, what + ": expected a MaskedInput slice");
      }
      int[] v = slice.masked();
      if (m.getOffset() != t.maskedFill || m.getTotal() != buf.length || v.length == 0
          || v.length > buf.length - t.maskedFill) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, what + ": slice of " + v.length + " values at offset "
            + m.getOffset() + " of " + m.getTotal() + ", expected offset " + t.maskedFill + " of " + buf.length);
      }
      System.arraycopy(v, 0, buf, t.maskedFill, v.length);
      t.maskedFill += v.length;
      t.bytesUp += size;
      t.progressNanos = ticker.nanos();
    } catch (FlException e) {
      reject(t.taskId, t, e);
    }
  }

  private static String describe(PayloadSpec s) {
    StringBuilder b = new StringBuilder("[");
    s.getModelList().forEach(t -> b.append(b.length() > 1 ? ", " : "").append(t.getName()).append(t.getShapeList()));
    return b.append(']').toString();
  }

  private void onChunk(Chunk c, int size) {
    if (c.getLaneBytes() > 0) {
      onLaneChunk(c, size);
      return;
    }
    Task t = tasks.get(c.getTaskId());
    ChunkAssembler a = t == null ? null : t.assembler;
    if (a == null) {
      return; // the task was rejected or expired; the client has been told
    }
    t.bytesUp += size;
    try {
      EncodedAssembler e = t.encoded;
      if (e != null && c.getPayload() == 0) {
        e.accept(c);
      } else {
        a.accept(c);
      }
      t.progressNanos = ticker.nanos();
    } catch (FlException e) {
      reject(t.taskId, t, e);
    }
  }

  /**
   * A chunk whose bytes follow on the byte lane: read them now (this thread is the lane's only reader, and the
   * stream's order is the lane's order), straight into the update; a chunk of a task that is gone has its bytes
   * read and dropped, so the lane stays in step. A lane that fails, or bytes announced without a lane or beyond
   * a chunk's limit, end the session: the lane cannot be trusted to be in step any more.
   */
  private void onLaneChunk(Chunk c, int size) {
    ByteLane l = lane;
    int bytes = c.getLaneBytes();
    if (l == null || bytes > ByteLane.MAX_CHUNK_BYTES) {
      String why = l == null ? "announced " + bytes + " lane bytes without a byte lane"
          : "announced " + bytes + " lane bytes, more than " + ByteLane.MAX_CHUNK_BYTES;
      server.clients().drop(this, why, io.grpc.Status.INVALID_ARGUMENT.withDescription(why));
      return;
    }
    Task t = tasks.get(c.getTaskId());
    ChunkAssembler a = t == null ? null : t.assembler;
    try {
      if (a == null) {
        l.skip(bytes); // the task was rejected or expired; the client has been told
        return;
      }
      t.bytesUp += size + bytes;
      try {
        EncodedAssembler e = t.encoded;
        if (e != null && c.getPayload() == 0) {
          e.accept(c, l);
        } else {
          a.accept(c, l);
        }
        t.progressNanos = ticker.nanos();
      } catch (FlException e) {
        reject(t.taskId, t, e);
      }
    } catch (java.io.IOException e) {
      String why = "its byte lane failed: " + e.getMessage();
      server.clients().drop(this, why, io.grpc.Status.UNAVAILABLE.withDescription(why));
    }
  }

  private void onUpdateEnd(long taskId, long values, int size) {
    Task t = tasks.get(taskId);
    if (t != null && t.maskedBuffer != null) {
      onMaskedEnd(t, values, size);
      return;
    }
    ChunkAssembler asm = t == null ? null : t.assembler;
    if (asm == null) {
      return;
    }
    t.bytesUp += size;
    try {
      ParameterSet p;
      Attachments a;
      EncodedAssembler enc = t.encoded;
      if (enc != null && t.header.hasCompactSubmodel()) {
        // v1.6: scatter the trained values into the model this task sent; the strategy sees the v1.4 form
        a = asm.attachments(values);
        float[] full = t.global.flatten();
        float[] mask = CompactSubModels.decode(enc.bytes(), t.header.getCompactSubmodel().getValues(), full,
            "update of client " + id + " (round " + t.round + ")");
        p = t.global.unflatten(full);
        a = a.with(AttachmentKey.TRAINED_MASK, t.global.unflatten(mask));
        t.encoded = null;
      } else if (enc != null) {
        a = asm.attachments(values);
        p = applyEncoded(t, enc.bytes());
        t.encoded = null;
      } else {
        p = asm.model(values);
        a = asm.attachments();
      }
      t.assembler = null;
      UpdateHeader h = t.header;
      TrainResult r = new TrainResult(p, h.getNumExamples(), h.getLocalSteps(), Convert.clientMetrics(h.getMetricsMap()), a);
      UploadGate.Slot slot = t.takeSlot();
      if (slot == null) {
        return; // the task ended meanwhile (deadline, lost connection)
      }
      server.awaitingFold(id, slot);
      if (!t.fitFuture.complete(new FitOutcome(r, t.bytesDown.get(), t.bytesUp))) {
        slot.release();
      }
    } catch (FlException | IllegalArgumentException e) {
      reject(taskId, t, e instanceof FlException fe ? fe : new FlException(ErrorCode.INVALID_ARGUMENT,
          "update of client " + id + ": " + e.getMessage()));
    }
  }

  /**
   * The update {@code x + decode(bytes)}: the decoded delta added to the exact global model {@code x} this
   * task sent (the client trained from its decoded copy, so downlink rounding never reaches the global
   * model). Holds one model-sized array besides the encoding, within this task's upload slot.
   */
  private ParameterSet applyEncoded(Task t, byte[] bytes) {
    String what = "update of client " + id + " (round " + t.round + ")";
    float[] d;
    try {
      d = server.wire().uplink().decode(bytes);
    } catch (IllegalArgumentException e) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, what + ": undecodable encoding: " + e.getMessage());
    }
    if (d.length != t.global.size()) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, what + ": wrong shape: the encoding decodes to " + d.length
          + " values, the model has " + t.global.size());
    }
    int off = 0;
    for (dev.starling.core.tensor.Tensor x : t.global) {
      float[] xs = x.data();
      for (int i = 0; i < xs.length; i++, off++) {
        d[off] += xs[i];
        if (!Float.isFinite(d[off])) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, what + ": tensor '" + x.name() + "' has non-finite value "
              + d[off] + " at index " + i + " after decoding");
        }
      }
    }
    return t.global.unflatten(d);
  }

  private void onMaskedEnd(Task t, long values, int size) {
    int[] buf = t.maskedBuffer;
    t.bytesUp += size;
    try {
      if (t.maskedFill != buf.length || values != buf.length) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, "masked input of client " + id + " (round " + t.round
            + ") ended after " + t.maskedFill + " of " + buf.length + " values (announced " + values + ")");
      }
      t.maskedBuffer = null;
      // the coordinator keeps the masked vector; the round loop gets a receipt with no trace of the update
      ParameterSet receipt = server.secAgg().masked(this, t.taskId, buf, t.bytesUp);
      UpdateHeader h = t.header;
      TrainResult r = new TrainResult(receipt, h.getNumExamples(), h.getLocalSteps(), Convert.clientMetrics(h.getMetricsMap()));
      UploadGate.Slot slot = t.takeSlot();
      if (slot == null) {
        return;
      }
      server.awaitingFold(id, slot);
      if (!t.fitFuture.complete(new FitOutcome(r, t.bytesDown.get(), t.bytesUp))) {
        slot.release();
      }
    } catch (FlException e) {
      reject(t.taskId, t, e);
    }
  }

  private void reject(long taskId, Task t, FlException e) {
    LOG.log(Level.WARNING, "rejected {0}", e.getMessage());
    out.send(ServerMessage.newBuilder().setTaskRejected(TaskRejected.newBuilder().setTaskId(taskId)
        .setCode(e.code().name()).setMessage(e.getMessage())).build());
    if (t != null) {
      t.fail(e);
    }
  }

  /** Ends the session: every pending task fails with UNAVAILABLE and {@code reason}. */
  void die(String reason) {
    if (deadReason != null) {
      return;
    }
    synchronized (onDeath) {
      deadReason = reason;
    }
    ByteLane l = lane;
    if (l != null) {
      l.close(); // unblocks a read or write on it
    }
    onDeath.forEach(Runnable::run);
    for (Task t : tasks.values()) {
      t.fail(new FlException(ErrorCode.UNAVAILABLE, "client " + id + " lost: " + reason));
    }
    tasks.clear();
    out.close();
    SecAggCoordinator secagg = server.secAgg();
    if (secagg != null) {
      secagg.lost(this, reason);
    }
  }

  Outbox<ServerMessage> outbox() {
    return out;
  }
}
