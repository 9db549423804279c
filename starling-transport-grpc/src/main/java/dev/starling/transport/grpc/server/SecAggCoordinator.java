package dev.starling.transport.grpc.server;

import com.google.protobuf.ByteString;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.message.ClientId;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.privacy.secagg.FixedPoint;
import dev.starling.privacy.secagg.SecAggMessages;
import dev.starling.privacy.secagg.SecAggMessages.AdvertiseKeys;
import dev.starling.privacy.secagg.SecAggMessages.EncryptedShare;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.ShareBundle;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskResponse;
import dev.starling.privacy.secagg.SecAggAuth;
import dev.starling.privacy.secagg.SecAggParams;
import dev.starling.privacy.secagg.SecAggServer;
import dev.starling.privacy.secagg.SecAggWire;
import dev.starling.privacy.secagg.SecureAggregationStrategy;
import dev.starling.server.FitOutcome;
import dev.starling.transport.grpc.proto.ProtocolMessage;
import dev.starling.transport.grpc.proto.SecAggSetup;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.TaskRejected;
import java.lang.System.Logger.Level;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * Runs the server half of secure aggregation ({@link SecAggServer}) across the clients of one training
 * round, over their own gRPC streams. {@link RemoteClient#fit} enlists each selected client instead of
 * sending its task; when the round loop opens the round's aggregation ({@link #begin}) the set is known,
 * so the public parameters (threshold, fixed-point codec) are fixed and every task goes out with them.
 * Then, driven by the clients' {@link ProtocolMessage}s:
 * <ol>
 *   <li>keys: every client advertises two public keys; the phase closes when every client still connected
 *       has, or after {@link SecAggSettings#phaseTimeout()}; the key directory goes to those that did;</li>
 *   <li>shares: each sends its sealed Shamir shares; the server routes each client its inbox;</li>
 *   <li>masking: clients train and send their masked, fixed-point update in slices ({@link RemoteClient}
 *       reassembles it behind an upload slot); the round loop's fold hands it to {@link #fold}, which adds it
 *       to the running masked sum;</li>
 *   <li>unmask ({@link #unmask}, at the end of the round): the survivors are asked for shares and the
 *       server removes the masks from the sum only.</li>
 * </ol>
 * A client that fails a phase (disconnects, times out, breaks the protocol) fails its task with its id and
 * reason; the protocol goes on without it as long as the threshold allows. Thread-safe: one monitor.
 */
final class SecAggCoordinator implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger(SecAggCoordinator.class.getName());

  private enum Phase { ENLISTING, KEYS, SHARES, MASKING, CONSISTENCY, UNMASK, DONE }

  private final SecAggSettings settings;
  /** The time source of the phase deadlines (the server's {@link Ticker}). */
  private final Ticker ticker;
  /** Seeds of SecAgg+ neighbour graphs (public once sent; unpredictable beforehand). */
  private final java.security.SecureRandom graphSeeds = new java.security.SecureRandom();
  private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(r -> {
    Thread t = new Thread(r, "starling-secagg-timer");
    t.setDaemon(true);
    return t;
  });
  private final Map<Long, Participant> byTask = new ConcurrentHashMap<>();
  private Attempt enlisting; // guarded by this
  private final List<Attempt> active = new ArrayList<>(); // guarded by this

  /**
   * A coordinator whose phase deadlines read {@code ticker}: a phase closes once the ticker has moved
   * {@link SecAggSettings#phaseTimeout()} past its start, checked by a timer at that time and whenever
   * {@link #checkDeadlines()} runs (which is how tests drive a manual ticker).
   */
  SecAggCoordinator(SecAggSettings settings, Ticker ticker) {
    this.settings = settings;
    this.ticker = java.util.Objects.requireNonNull(ticker, "ticker");
  }

  SecAggSettings settings() {
    return settings;
  }

  /** One client's part in one attempt of a round. Guarded by the coordinator. */
  private final class Participant {
    final Attempt attempt;
    final RemoteClient client;
    final long taskId;
    final CompletableFuture<FitOutcome> future;
    final Consumer<SecAggSetup> sendTask;
    int index = -1;
    boolean advertised;
    boolean shared;
    boolean inboxSent;
    boolean folded;
    boolean responded;
    boolean signed;
    boolean gone;
    String goneReason = "";
    int[] pendingMasked;

    Participant(Attempt attempt, RemoteClient client, long taskId, CompletableFuture<FitOutcome> future,
        Consumer<SecAggSetup> sendTask) {
      this.attempt = attempt;
      this.client = client;
      this.taskId = taskId;
      this.future = future;
      this.sendTask = sendTask;
    }
  }

  /** One secure aggregation: one attempt at one round. */
  final class Attempt {
    final int round;
    final List<Participant> members = new ArrayList<>();
    final Map<ClientId, Participant> byClient = new LinkedHashMap<>();
    Phase phase = Phase.ENLISTING;
    SecAggServer server;
    ParameterSet global;
    ScheduledFuture<?> timeout;
    /** The phase the deadline belongs to, and the ticker reading at which it passes. */
    Phase armed;
    long deadline;
    long bytesUp;
    long bytesDown;
    long serverNanos;
    int droppedAfterMasking;

    Attempt(int round) {
      this.round = round;
    }

    /** Bytes of secure aggregation traffic received from all clients (keys, shares, masked inputs, unmask shares). */
    long bytesUp() {
      synchronized (SecAggCoordinator.this) {
        return bytesUp;
      }
    }

    long bytesDown() {
      synchronized (SecAggCoordinator.this) {
        return bytesDown;
      }
    }

    /** Seconds the server spent in the protocol's own computation (routing, summing, unmasking). */
    double serverSeconds() {
      synchronized (SecAggCoordinator.this) {
        return serverNanos / 1e9;
      }
    }

    int droppedAfterMasking() {
      synchronized (SecAggCoordinator.this) {
        return droppedAfterMasking;
      }
    }
  }

  /**
   * Called by {@link RemoteClient#fit}: {@code sendTask} will send the training task once the round's
   * parameters are known.
   */
  synchronized void enlist(RemoteClient client, long taskId, int round, CompletableFuture<FitOutcome> future,
      Consumer<SecAggSetup> sendTask) {
    if (enlisting == null || enlisting.round != round) {
      enlisting = new Attempt(round);
    }
    Participant p = new Participant(enlisting, client, taskId, future, sendTask);
    enlisting.members.add(p);
    enlisting.byClient.put(client.id(), p);
    byTask.put(taskId, p);
    future.whenComplete((v, e) -> {
      if (e != null) {
        gone(p, e.getMessage());
      }
    });
  }

  /** Closes enlisting for the round and sends every enlisted client its task with the round's parameters. */
  synchronized Attempt begin(int round, ParameterSet global) {
    Attempt a = enlisting != null && enlisting.round == round ? enlisting : new Attempt(round);
    enlisting = null;
    a.global = global;
    active.add(a);
    int n = a.members.size();
    if (n < 3) {
      for (Participant p : a.members) {
        fail(p, ErrorCode.QUORUM_NOT_MET, "secure aggregation needs at least 3 clients in a round; round " + round
            + " selected " + n);
      }
      a.phase = Phase.DONE;
      return a;
    }
    int length = Math.toIntExact(global.size());
    FixedPoint codec = SecureAggregationStrategy.codecFor(n, settings.maxAbs());
    SecAggParams params = SecAggParams.forRound(n, settings.dropoutTolerance(), settings.neighbours(),
        graphSeeds.nextLong(), codec, length);
    Map<Integer, java.security.PublicKey> pki = new java.util.HashMap<>();
    Map<Integer, String> roster = new java.util.TreeMap<>();
    for (int i = 0; i < n; i++) {
      Participant p = a.members.get(i);
      p.index = i;
      roster.put(i, p.client.id().value());
      java.security.PublicKey k = settings.identities().get(p.client.id().value());
      if (k != null) {
        pki.put(i, k);
      }
    }
    a.server = new SecAggServer(params, settings.authenticated() ? new SecAggAuth(null, pki) : null);
    for (Participant p : a.members) {
      if (!p.gone) {
        SecAggSetup.Builder setup = SecAggSetup.newBuilder().setIndex(p.index).setClients(n)
            .setThreshold(params.threshold()).setNeighbours(params.neighbours())
            .setFractionalBits(codec.fractionalBits()).setMaxAbs(codec.maxAbs()).setLength(length);
        if (settings.authenticated()) {
          setup.setAuthenticated(true).putAllRoster(roster);
        }
        p.sendTask.accept(setup.build());
      }
    }
    a.phase = Phase.KEYS;
    arm(a, Phase.KEYS);
    advance(a);
    return a;
  }

  private void arm(Attempt a, Phase phase) {
    if (a.timeout != null) {
      a.timeout.cancel(false);
    }
    a.armed = phase;
    a.deadline = ticker.nanos() + settings.phaseTimeout().toNanos();
    a.timeout = timer.schedule(() -> timedOut(a, phase), settings.phaseTimeout().toNanos(), TimeUnit.NANOSECONDS);
  }

  /**
   * Applies the phase deadlines at the ticker's current reading: closes every keys or shares phase whose
   * deadline has passed (failing the clients that have not done their part), and wakes the unmask phase's
   * wait so that it re-reads the ticker. Runs with the server's periodic timeout check. Thread-safe.
   */
  synchronized void checkDeadlines() {
    for (Attempt a : List.copyOf(active)) {
      if (a.armed != null) {
        timedOut(a, a.armed);
      }
    }
    notifyAll();
  }

  private synchronized void timedOut(Attempt a, Phase phase) {
    if (a.phase == phase && a.armed == phase && ticker.nanos() - a.deadline >= 0) {
      if (phase == Phase.KEYS) {
        closeKeys(a);
      } else if (phase == Phase.SHARES) {
        closeShares(a);
      }
    }
  }

  /** Closes the current phase once every client still in the protocol has done its part. */
  private void advance(Attempt a) {
    if (a.phase == Phase.KEYS && a.members.stream().allMatch(p -> p.gone || p.advertised)) {
      closeKeys(a);
    }
    if (a.phase == Phase.SHARES && a.members.stream().allMatch(p -> p.gone || !p.advertised || p.shared)) {
      closeShares(a);
    }
  }

  private void closeKeys(Attempt a) {
    for (Participant p : a.members) {
      if (!p.gone && !p.advertised) {
        fail(p, ErrorCode.DEADLINE_EXCEEDED, "client " + p.client.id() + " advertised no secure aggregation keys within "
            + settings.phaseTimeout());
      }
    }
    KeyDirectory dir;
    long t0 = System.nanoTime();
    try {
      dir = a.server.directory();
    } catch (FlException e) {
      abort(a, e);
      return;
    } finally {
      a.serverNanos += System.nanoTime() - t0;
    }
    a.phase = Phase.SHARES;
    for (Participant p : a.members) {
      if (!p.gone && p.advertised) {
        send(p, dir);
      }
    }
    arm(a, Phase.SHARES);
    advance(a);
  }

  private void closeShares(Attempt a) {
    a.timeout.cancel(false);
    for (Participant p : a.members) {
      if (!p.gone && p.advertised && !p.shared) {
        fail(p, ErrorCode.DEADLINE_EXCEEDED, "client " + p.client.id() + " sent no secure aggregation shares within "
            + settings.phaseTimeout());
      }
    }
    long t0 = System.nanoTime();
    Map<Integer, List<EncryptedShare>> inboxes = a.server.inboxes();
    a.serverNanos += System.nanoTime() - t0;
    a.phase = Phase.MASKING;
    for (Participant p : a.members) {
      if (!p.gone && p.shared) {
        send(p, new ShareBundle(p.index, inboxes.getOrDefault(p.index, List.of())));
        p.inboxSent = true;
      }
    }
  }

  private void abort(Attempt a, FlException e) {
    LOG.log(Level.WARNING, "round {0}: secure aggregation aborted: {1}", a.round, e.getMessage());
    for (Participant p : a.members) {
      if (!p.gone) {
        fail(p, e.code(), e.getMessage());
      }
    }
    a.phase = Phase.DONE;
  }

  private void fail(Participant p, ErrorCode code, String why) {
    LOG.log(Level.WARNING, "round {0}: secure aggregation: {1}", p.attempt.round, why);
    p.gone = true;
    p.goneReason = why;
    p.client.failTask(p.taskId, new FlException(code, why));
  }

  private synchronized void gone(Participant p, String why) {
    if (p.gone) {
      return;
    }
    p.gone = true;
    p.goneReason = String.valueOf(why);
    advance(p.attempt);
    notifyAll();
  }

  /** The client's session ended: it takes no further part in any secure aggregation. */
  synchronized void lost(RemoteClient client, String why) {
    for (Attempt a : active) {
      Participant p = a.byClient.get(client.id());
      if (p != null && p.client == client && !p.gone) {
        gone(p, "client " + client.id() + " lost: " + why);
      }
    }
    if (enlisting != null) {
      Participant p = enlisting.byClient.get(client.id());
      if (p != null && p.client == client) {
        p.gone = true;
      }
    }
  }

  private void send(Participant p, SecAggMessages.Message m) {
    ServerMessage sm = ServerMessage.newBuilder().setProtocol(ProtocolMessage.newBuilder()
        .setProtocol(SecAggSettings.CAPABILITY).setRound(p.attempt.round).setTaskId(p.taskId)
        .setPayload(ByteString.copyFrom(SecAggWire.encode(m)))).build();
    p.attempt.bytesDown += sm.getSerializedSize();
    p.client.outbox().send(sm);
  }

  /** A protocol message (anything but a masked-input slice) from {@code client}. */
  synchronized void onProtocol(RemoteClient client, ProtocolMessage m, int size) {
    Participant p = byTask.get(m.getTaskId());
    if (p == null || p.client != client) {
      LOG.log(Level.INFO, "client {0}: secure aggregation message for unknown or finished task {1}; ignored",
          client.id(), m.getTaskId());
      return;
    }
    Attempt a = p.attempt;
    if (p.gone) {
      return; // already dropped from this protocol; its late messages change nothing
    }
    a.bytesUp += size;
    String who = "client " + client.id() + " (round " + a.round + ")";
    if (!SecAggSettings.CAPABILITY.equals(m.getProtocol()) || m.getRound() != a.round) {
      fail(p, ErrorCode.INVALID_ARGUMENT, who + " sent protocol '" + m.getProtocol() + "' round " + m.getRound()
          + ", expected '" + SecAggSettings.CAPABILITY + "' round " + a.round);
      return;
    }
    long t0 = System.nanoTime();
    try {
      SecAggMessages.Message msg = SecAggWire.decode(m.getPayload().toByteArray());
      switch (msg) {
        case AdvertiseKeys k when a.phase == Phase.KEYS && !p.advertised && k.client() == p.index -> {
          try {
            a.server.receive(k);
          } catch (FlException e) {
            throw new FlException(e.code(), who + ": " + e.getMessage().replace("client " + p.index + "'s", "its"));
          }
          p.advertised = true;
        }
        case SecAggMessages.SurvivorSignature sig when a.phase == Phase.CONSISTENCY && p.folded && !p.signed
            && sig.client() == p.index -> {
          a.server.receiveSurvivorSignature(sig);
          p.signed = true;
          notifyAll();
        }
        case ShareBundle b when a.phase == Phase.SHARES && p.advertised && !p.shared && b.client() == p.index -> {
          a.server.receiveShares(p.index, b.shares());
          p.shared = true;
        }
        case UnmaskResponse r when a.phase == Phase.UNMASK && p.folded && !p.responded && r.client() == p.index -> {
          a.server.receiveUnmask(r);
          p.responded = true;
          notifyAll();
        }
        default -> throw new FlException(ErrorCode.INVALID_ARGUMENT, who + " sent " + msg.getClass().getSimpleName()
            + " as protocol index " + p.index + " in phase " + a.phase + "; not expected");
      }
    } catch (FlException e) {
      fail(p, e.code(), e.getMessage().startsWith("client") ? e.getMessage() : who + ": " + e.getMessage());
    } finally {
      a.serverNanos += System.nanoTime() - t0;
    }
    advance(a);
  }

  /**
   * {@code client}'s complete masked input for task {@code taskId} ({@code bytes} on the wire): kept until
   * the round loop folds it. Returns the placeholder the round loop sees instead of an update (the global
   * model: nothing of the client's update). Throws INVALID_ARGUMENT / FAILED_PRECONDITION if the client is
   * not at the masking step.
   */
  synchronized ParameterSet masked(RemoteClient client, long taskId, int[] y, long bytes) {
    Participant p = byTask.get(taskId);
    if (p == null || p.client != client) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "masked input of client " + client.id()
          + " for unknown or finished task " + taskId);
    }
    Attempt a = p.attempt;
    if (p.gone || a.phase != Phase.MASKING || !p.inboxSent || p.pendingMasked != null || p.folded) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "masked input of client " + client.id() + " (round "
          + a.round + ") arrived in phase " + a.phase + (p.gone ? " after it was dropped: " + p.goneReason : ""));
    }
    a.bytesUp += bytes;
    p.pendingMasked = y;
    return a.global;
  }

  /** The round loop accepted {@code client}'s reply: add its masked input to the masked sum. */
  synchronized void fold(Attempt a, ClientId client) {
    Participant p = a.byClient.get(client);
    if (p == null || p.pendingMasked == null) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "no masked input of client " + client
          + " is waiting to be folded in round " + a.round);
    }
    long t0 = System.nanoTime();
    a.server.receiveMasked(new MaskedInput(p.index, p.pendingMasked));
    a.serverNanos += System.nanoTime() - t0;
    p.pendingMasked = null;
    p.folded = true;
  }

  /**
   * Ends the masking phase: asks the clients whose masked input is in the sum for their shares, waits for
   * every one still connected (at most the phase timeout), and returns the unmasked sum of their updates.
   * Throws QUORUM_NOT_MET if too many dropped out to remove the masks.
   */
  synchronized double[] unmask(Attempt a) throws InterruptedException {
    try {
      if (a.phase != Phase.MASKING) {
        throw new FlException(ErrorCode.QUORUM_NOT_MET, "round " + a.round + ": secure aggregation ended in phase "
            + a.phase + " before any masked input");
      }
      for (Participant p : a.members) {
        p.pendingMasked = null; // arrived but not accepted by the round loop (late): not in the sum
      }
      long t0;
      if (settings.authenticated()) {
        // the consistency check: every survivor signs the survivor list (and the key directory it saw)
        t0 = System.nanoTime();
        UnmaskRequest check = a.server.consistencyRequest();
        a.serverNanos += System.nanoTime() - t0;
        a.phase = Phase.CONSISTENCY;
        for (Participant p : a.members) {
          if (p.folded && !p.gone) {
            send(p, check);
          }
        }
        awaitAll(a, p -> p.signed);
        for (Participant p : a.members) {
          if (p.folded && !p.gone && !p.signed) {
            fail(p, ErrorCode.DEADLINE_EXCEEDED, "client " + p.client.id() + " did not sign the survivor list within "
                + settings.phaseTimeout());
          }
        }
      }
      t0 = System.nanoTime();
      UnmaskRequest req = a.server.unmaskRequest();
      a.serverNanos += System.nanoTime() - t0;
      a.phase = Phase.UNMASK;
      for (Participant p : a.members) {
        if (p.folded && !p.gone) {
          send(p, req);
        }
      }
      awaitAll(a, p -> p.responded);
      for (Participant p : a.members) {
        if (p.folded && !p.responded) {
          a.droppedAfterMasking++;
          LOG.log(Level.WARNING, "round {0}: client {1} sent its masked input but no unmask shares ({2}); its input"
              + " stays in the sum, recovered from the other clients'' shares", a.round, p.client.id(),
              p.gone ? p.goneReason : "no answer within " + settings.phaseTimeout());
        }
      }
      t0 = System.nanoTime();
      try {
        return a.server.finish();
      } finally {
        a.serverNanos += System.nanoTime() - t0;
      }
    } finally {
      end(a);
    }
  }

  /** Waits (at most the phase timeout) until every survivor still connected has {@code done} its part. */
  private void awaitAll(Attempt a, java.util.function.Predicate<Participant> done) throws InterruptedException {
    long end = ticker.nanos() + settings.phaseTimeout().toNanos();
    while (a.members.stream().anyMatch(p -> p.folded && !p.gone && !done.test(p))) {
      long left = end - ticker.nanos();
      if (left <= 0) {
        break;
      }
      TimeUnit.NANOSECONDS.timedWait(this, left);
    }
  }

  /**
   * Clients of round {@code round} that are still connected and have not advertised their keys while the
   * round is in its keys phase, or -1 when no attempt of that round is in it (for tests).
   */
  synchronized int awaitingKeys(int round) {
    for (Attempt a : active) {
      if (a.round == round && a.phase == Phase.KEYS) {
        return (int) a.members.stream().filter(p -> !p.gone && !p.advertised).count();
      }
    }
    return -1;
  }

  /** Whether round {@code round}'s secure sum has been opened ({@link #begin}) and not yet ended. */
  synchronized boolean begun(int round) {
    return active.stream().anyMatch(a -> a.round == round);
  }

  /** Forgets an attempt (its aggregation finished). */
  synchronized void end(Attempt a) {
    a.phase = Phase.DONE;
    if (a.timeout != null) {
      a.timeout.cancel(false);
    }
    for (Participant p : a.members) {
      byTask.remove(p.taskId, p);
      p.pendingMasked = null;
      if (!p.folded && !p.gone) {
        // e.g. its masked input came after the round loop stopped waiting: tell it not to wait for an unmask request
        p.gone = true;
        p.client.outbox().send(ServerMessage.newBuilder().setTaskRejected(TaskRejected.newBuilder().setTaskId(p.taskId)
            .setCode(ErrorCode.DEADLINE_EXCEEDED.name()).setMessage("round " + a.round
                + " ended without this client's masked input in the sum")).build());
      }
    }
    active.remove(a);
  }

  @Override
  public void close() {
    timer.shutdownNow();
  }
}
