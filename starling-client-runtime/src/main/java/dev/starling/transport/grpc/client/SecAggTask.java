package dev.starling.transport.grpc.client;

import com.google.protobuf.ByteString;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.learner.TrainResult;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.privacy.secagg.FixedPoint;
import dev.starling.privacy.secagg.SecAggClient;
import dev.starling.privacy.secagg.SecAggMessages;
import dev.starling.privacy.secagg.SecAggMessages.KeyDirectory;
import dev.starling.privacy.secagg.SecAggMessages.MaskedInput;
import dev.starling.privacy.secagg.SecAggMessages.ShareBundle;
import dev.starling.privacy.secagg.SecAggMessages.UnmaskRequest;
import dev.starling.privacy.secagg.SecAggParams;
import dev.starling.privacy.secagg.SecAggWire;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.ProtocolMessage;
import dev.starling.transport.grpc.proto.SecAggSetup;
import dev.starling.transport.grpc.proto.TaskHeader;
import dev.starling.transport.grpc.proto.TaskRejected;
import dev.starling.transport.grpc.proto.UpdateEnd;
import dev.starling.transport.grpc.proto.UpdateHeader;
import dev.starling.transport.grpc.wire.Convert;
import dev.starling.transport.grpc.wire.Outbox;
import dev.starling.transport.grpc.wire.Payloads;
import io.grpc.Status;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The client half of one secure aggregation training task ({@link SecAggClient} over the session's
 * stream): advertise keys, receive the key directory, send sealed shares, receive the inbox, train, mask
 * the update {@code w - global} locally and send only the masked fixed-point vector, in slices of at most
 * {@code chunkValues} integers, then answer the unmask request. Nothing derived from the update leaves the
 * process unmasked (the example count and the training loss travel in the clear, as in simulation).
 * Runs on the client's worker thread; server messages arrive through {@code mailbox}.
 */
final class SecAggTask {
  static final String CAPABILITY = SecAggWire.PROTOCOL;
  /** Listed in Hello when this client holds an identity key (authenticated secure aggregation). */
  static final String AUTH_CAPABILITY = "secagg-auth/1";
  /** How long past the task deadline the client still waits for the server's next protocol message. */
  private static final long GRACE_MILLIS = 30_000;

  private final TaskHeader header;
  private final ParameterSet global;
  private final BlockingQueue<Object> mailbox;
  private final Outbox<ClientMessage> out;
  private final int chunkValues;
  private final boolean dropBeforeUnmask;
  private final Runnable onMaskedSent;
  private final SecAggIdentity identity;

  SecAggTask(TaskHeader header, ParameterSet global, BlockingQueue<Object> mailbox, Outbox<ClientMessage> out,
      int chunkValues, boolean dropBeforeUnmask, Runnable onMaskedSent) {
    this(header, global, mailbox, out, chunkValues, dropBeforeUnmask, onMaskedSent, null);
  }

  /** {@code identity}: this client's identity key and its copy of the others' public keys, or null. */
  SecAggTask(TaskHeader header, ParameterSet global, BlockingQueue<Object> mailbox, Outbox<ClientMessage> out,
      int chunkValues, boolean dropBeforeUnmask, Runnable onMaskedSent, SecAggIdentity identity) {
    this.identity = identity;
    this.header = header;
    this.global = global;
    this.mailbox = mailbox;
    this.out = out;
    this.chunkValues = chunkValues;
    this.dropBeforeUnmask = dropBeforeUnmask;
    this.onMaskedSent = onMaskedSent;
  }

  /** Runs the task; false if it stopped before unmasking on purpose (fault injection). */
  boolean run(Function<ParameterSet, TrainResult> train) {
    SecAggSetup s = header.getSecagg();
    String task = "secure aggregation task " + header.getTaskId() + " (round " + header.getRound() + ")";
    if (s.getLength() != global.size()) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, task + ": length " + s.getLength() + " but the model has "
          + global.size() + " values");
    }
    // A threshold of at most half the share holders would let two disjoint groups each reconstruct a secret.
    if (s.getNeighbours() == 0 && (2L * s.getThreshold() <= s.getClients() || s.getThreshold() >= s.getClients())) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, task + ": threshold " + s.getThreshold() + " of "
          + s.getClients() + " clients is unsafe (must be > clients / 2 and < clients)");
    }
    if (s.getNeighbours() != 0 && (s.getNeighbours() % 2 != 0 || s.getNeighbours() >= s.getClients() - 1
        || 2L * s.getThreshold() <= s.getNeighbours() || s.getThreshold() > s.getNeighbours())) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, task + ": SecAgg+ with " + s.getNeighbours() + " neighbours of "
          + s.getClients() + " clients and threshold " + s.getThreshold() + " is unsafe (neighbours must be even and below"
          + " clients - 1, threshold > neighbours / 2 and <= neighbours)");
    }
    FixedPoint codec = new FixedPoint(s.getFractionalBits(), s.getMaxAbs(), s.getClients());
    SecAggParams params = new SecAggParams(s.getThreshold(), s.getNeighbours(), 0, codec, Math.toIntExact(s.getLength()));
    SecAggClient client = new SecAggClient(s.getIndex(), params, new SecureRandom(), auth(s, task));
    float[] before = global.flatten(); // a copy: a trainer may update the model in place

    send(client.advertise());
    KeyDirectory dir = await(KeyDirectory.class, task);
    if (dir.threshold() != s.getThreshold() || dir.neighbours() != s.getNeighbours()) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, task + ": the key directory says threshold "
          + dir.threshold() + ", neighbours " + dir.neighbours() + "; the task said " + s.getThreshold() + ", "
          + s.getNeighbours());
    }
    send(new ShareBundle(s.getIndex(), client.shareKeys(dir)));
    ShareBundle inbox = await(ShareBundle.class, task);

    TrainResult r = train.apply(global);
    if (!r.attachments().isEmpty()) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, task + ": the trainer returned attachments "
          + r.attachments().asMap().keySet() + ", which secure aggregation cannot carry without revealing them");
    }
    float[] delta = r.parameters().flatten();
    for (int i = 0; i < delta.length; i++) {
      delta[i] -= before[i];
    }
    MaskedInput masked = client.maskInput(inbox.shares(), delta);
    Arrays.fill(delta, 0f);
    int[] y = masked.masked();
    out.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(header.getTaskId())
        .setRound(header.getRound()).setNumExamples(r.numExamples()).setLocalSteps(r.localSteps())
        .putAllMetrics(Convert.metrics(r.metrics())).setSpec(Payloads.spec(r.parameters(), Attachments.none()))
        .setMasked(true)).build());
    out.sendAll(new java.util.Iterator<>() { // slices encoded one at a time, as the stream takes them
      private int off;

      @Override
      public boolean hasNext() {
        return off < y.length;
      }

      @Override
      public ClientMessage next() {
        int end = Math.min(y.length, off + chunkValues);
        ClientMessage m = ClientMessage.newBuilder().setProtocol(protocol(new MaskedInput(s.getIndex(),
            Arrays.copyOfRange(y, off, end))).setOffset(off).setTotal(y.length)).build();
        off = end;
        return m;
      }
    });
    out.send(ClientMessage.newBuilder().setUpdateEnd(UpdateEnd.newBuilder().setTaskId(header.getTaskId())
        .setValues(y.length)).build());
    onMaskedSent.run();

    UnmaskRequest req = await(UnmaskRequest.class, task);
    if (dropBeforeUnmask) {
      return false;
    }
    if (s.getAuthenticated()) { // that was the consistency check; the signed request follows
      send(client.signSurvivors(req));
      req = await(UnmaskRequest.class, task);
    }
    send(client.unmask(req));
    return true;
  }

  /**
   * The authentication for an authenticated task: this client's identity key, and the public keys of the
   * round's clients looked up by client id in this client's own copy (the server only says who is who).
   */
  private dev.starling.privacy.secagg.SecAggAuth auth(SecAggSetup s, String task) {
    if (!s.getAuthenticated()) {
      return null;
    }
    if (identity == null) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, task + ": the server runs authenticated secure aggregation"
          + " but this client has no identity key (--secagg-key, --secagg-peers)");
    }
    String mine = s.getRosterMap().get(s.getIndex());
    if (!identity.clientId().equals(mine)) {
      throw new FlException(ErrorCode.PERMISSION_DENIED, task + ": the roster names '" + mine + "' as index "
          + s.getIndex() + ", but this client is '" + identity.clientId() + "'");
    }
    java.util.Map<Integer, java.security.PublicKey> pki = new java.util.HashMap<>();
    s.getRosterMap().forEach((index, id) -> {
      java.security.PublicKey k = identity.peers().get(id);
      if (k != null) {
        pki.put(index, k);
      }
    });
    return new dev.starling.privacy.secagg.SecAggAuth(identity.keys(), pki);
  }

  private ProtocolMessage.Builder protocol(SecAggMessages.Message m) {
    return ProtocolMessage.newBuilder().setProtocol(CAPABILITY).setRound(header.getRound())
        .setTaskId(header.getTaskId()).setPayload(ByteString.copyFrom(SecAggWire.encode(m)));
  }

  private void send(SecAggMessages.Message m) {
    out.send(ClientMessage.newBuilder().setProtocol(protocol(m)).build());
  }

  private <T extends SecAggMessages.Message> T await(Class<T> type, String task) {
    long deadline = Math.max(header.getDeadlineUnixMillis(), System.currentTimeMillis()) + GRACE_MILLIS;
    while (true) {
      long left = deadline - System.currentTimeMillis();
      Object o;
      try {
        o = left <= 0 ? null : mailbox.poll(left, TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new FlException(ErrorCode.CANCELLED, task + ": interrupted");
      }
      switch (o) {
        case null -> throw new FlException(ErrorCode.DEADLINE_EXCEEDED, task + ": no " + type.getSimpleName()
            + " from the server by the task deadline");
        case TaskRejected t -> throw new FlException(Convert.code(t.getCode()), task + ": the server ended it: "
            + t.getMessage());
        case Status st -> throw new FlException(ErrorCode.UNAVAILABLE, task + ": session ended: " + st);
        case ProtocolMessage pm -> {
          SecAggMessages.Message m = SecAggWire.decode(pm.getPayload().toByteArray());
          if (!type.isInstance(m)) {
            throw new FlException(ErrorCode.INVALID_ARGUMENT, task + ": the server sent " + m.getClass().getSimpleName()
                + ", expected " + type.getSimpleName());
          }
          return type.cast(m);
        }
        default -> throw new IllegalStateException("unexpected mailbox item " + o);
      }
    }
  }
}
