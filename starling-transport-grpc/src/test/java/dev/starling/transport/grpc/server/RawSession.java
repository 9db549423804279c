package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.Hello;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.TaskHeader;
import dev.starling.transport.grpc.proto.UpdateEnd;
import dev.starling.transport.grpc.proto.UpdateHeader;
import dev.starling.transport.grpc.wire.Payloads;
import io.grpc.Channel;
import io.grpc.Status;
import io.grpc.stub.StreamObserver;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * A client session written directly against the wire protocol, sending only what a test tells it to
 * (no heartbeats: pair it with a {@link ManualTicker} that the test does not advance past the heartbeat
 * limit). Everything the server sends lands in {@link #inbox}.
 */
final class RawSession {
  final LinkedBlockingQueue<ServerMessage> inbox = new LinkedBlockingQueue<>();
  final CompletableFuture<Status> closed = new CompletableFuture<>();
  private final StreamObserver<ClientMessage> out;

  /** Opens the stream without saying Hello. */
  RawSession(Channel channel) {
    out = FederationGrpc.newStub(channel).session(new StreamObserver<>() {
      @Override
      public void onNext(ServerMessage m) {
        inbox.add(m);
      }

      @Override
      public void onError(Throwable t) {
        closed.complete(Status.fromThrowable(t));
      }

      @Override
      public void onCompleted() {
        closed.complete(Status.OK);
      }
    });
  }

  /** Opens the stream and says Hello as {@code id}. */
  static RawSession hello(Channel channel, String id) {
    RawSession s = new RawSession(channel);
    s.send(ClientMessage.newBuilder().setHello(Hello.newBuilder().setProtocolVersion(1).setClientId(id)).build());
    return s;
  }

  synchronized void send(ClientMessage m) {
    out.onNext(m);
  }

  /** The next message of kind {@code kind}, skipping others. */
  ServerMessage next(ServerMessage.BodyCase kind) throws InterruptedException {
    while (true) {
      ServerMessage m = inbox.poll(10, TimeUnit.SECONDS);
      assertThat(m).as("waiting for " + kind).isNotNull();
      if (m.getBodyCase() == kind) {
        return m;
      }
    }
  }

  /** Waits for a whole task (header, chunks, end) and returns its header. */
  TaskHeader task() throws InterruptedException {
    TaskHeader h = next(ServerMessage.BodyCase.TASK_HEADER).getTaskHeader();
    next(ServerMessage.BodyCase.TASK_END);
    return h;
  }

  /** Starts an update for {@code task} (takes an upload slot on the server) and sends nothing more. */
  void openUpload(TaskHeader task) {
    send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(task.getTaskId())
        .setRound(task.getRound()).setNumExamples(1).setSpec(task.getSpec())).build());
  }

  /** Sends a complete update: header, chunks of {@code model}, end. */
  void update(TaskHeader task, ParameterSet model) {
    openUpload(task);
    Iterator<dev.starling.transport.grpc.proto.Chunk> chunks = Payloads.chunks(task.getTaskId(), List.of(model), 1000);
    while (chunks.hasNext()) {
      send(ClientMessage.newBuilder().setChunk(chunks.next()).build());
    }
    send(ClientMessage.newBuilder().setUpdateEnd(UpdateEnd.newBuilder().setTaskId(task.getTaskId())
        .setValues(model.size())).build());
  }

  void close() {
    try {
      out.onCompleted();
    } catch (RuntimeException ignored) {
      // already closed by the server
    }
  }
}
