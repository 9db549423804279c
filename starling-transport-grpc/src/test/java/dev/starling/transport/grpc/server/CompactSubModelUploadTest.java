package dev.starling.transport.grpc.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.starling.core.learner.TrainConfig;
import dev.starling.core.message.AttachmentKey;
import dev.starling.core.message.Attachments;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.server.ClientProxy;
import dev.starling.server.FitOutcome;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.CompactSubModel;
import dev.starling.transport.grpc.proto.Hello;
import dev.starling.transport.grpc.proto.ServerMessage;
import dev.starling.transport.grpc.proto.TaskHeader;
import dev.starling.transport.grpc.proto.TaskRejected;
import dev.starling.transport.grpc.proto.UpdateEnd;
import dev.starling.transport.grpc.proto.UpdateHeader;
import dev.starling.transport.grpc.proto.Welcome;
import dev.starling.transport.grpc.wire.CompactSubModels;
import dev.starling.transport.grpc.wire.Payloads;
import dev.starling.transport.grpc.wire.SubModelTerms;
import io.grpc.ManagedChannel;
import io.grpc.ManagedChannelBuilder;
import java.util.Iterator;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Compact sub-model uploads (protocol v1.6): a client that lists {@value CompactSubModels#CAPABILITY} is allowed
 * them in its Welcome, and the server scatters its trained values into the model it sent, handing the strategy
 * the v1.4 form (full-shaped model plus trained-mask); a client without the capability is not told and its v1.4
 * upload is still accepted; a malformed compact upload is refused naming the client.
 */
@Timeout(30)
class CompactSubModelUploadTest {
  private static final SubModelTerms TERMS = new SubModelTerms("federated-dropout", 0.5, 0.5, 1, 7, 0, 0, 1e-5, false);
  private FederationServer server;
  private ManagedChannel channel;

  @BeforeEach
  void start() {
    server = new FederationServer(ServerSettings.loopback(0, "mlp:8", "fedavg"));
    server.trainSubModels(TERMS);
    server.start();
    channel = ManagedChannelBuilder.forAddress("127.0.0.1", server.port()).usePlaintext().build();
  }

  @AfterEach
  void stop() throws InterruptedException {
    channel.shutdownNow().awaitTermination(5, TimeUnit.SECONDS);
    server.close();
  }

  private RawSession hello(String id, boolean compact) throws InterruptedException {
    RawSession s = new RawSession(channel);
    Hello.Builder h = Hello.newBuilder().setProtocolVersion(1).setClientId(id).addCapabilities(SubModelTerms.CAPABILITY);
    if (compact) {
      h.addCapabilities(CompactSubModels.CAPABILITY);
    }
    s.send(ClientMessage.newBuilder().setHello(h).build());
    Welcome w = s.next(ServerMessage.BodyCase.WELCOME).getWelcome();
    assertThat(w.hasSubmodel()).isTrue();
    assertThat(w.getCompactSubmodel()).as("compact uploads offered to %s", id).isEqualTo(compact);
    while (server.pool().available().isEmpty()) {
      Thread.onSpinWait();
    }
    return s;
  }

  private CompletableFuture<FitOutcome> task(ParameterSet global) {
    ClientProxy proxy = server.pool().available().get(0);
    return proxy.fit(global, TrainConfig.builder().round(1).build());
  }

  private static void sendCompact(RawSession s, TaskHeader task, long values, byte[] enc) {
    s.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(task.getTaskId())
        .setRound(task.getRound()).setNumExamples(3).setSpec(task.getSpec())
        .setCompactSubmodel(CompactSubModel.newBuilder().setBytes(enc.length).setValues(values))).build());
    Iterator<dev.starling.transport.grpc.proto.Chunk> chunks = Payloads.encodedChunks(task.getTaskId(), enc, 5);
    while (chunks.hasNext()) {
      s.send(ClientMessage.newBuilder().setChunk(chunks.next()).build());
    }
    s.send(ClientMessage.newBuilder().setUpdateEnd(UpdateEnd.newBuilder().setTaskId(task.getTaskId()).setValues(0)).build());
  }

  @Test
  void compactUpload_reachesTheStrategyAsTheFullShapedModelPlusItsTrainedMask() throws Exception {
    RawSession s = hello("c1", true);
    ParameterSet global = LoopbackFederationTest.initial(10); // 12 values: w[10], b[2]
    CompletableFuture<FitOutcome> outcome = task(global);
    TaskHeader task = s.task();
    float[] mask = {0, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 0};
    float[] trained = new float[12];
    for (int j = 0; j < 12; j++) {
      trained[j] = 100f + j;
    }
    byte[] enc = CompactSubModels.encode(trained, mask);
    assertThat(enc).hasSize(2 + 4 * 4);
    sendCompact(s, task, 4, enc);

    FitOutcome o = outcome.get(10, TimeUnit.SECONDS);
    float[] g = global.flatten();
    float[] got = o.result().parameters().flatten();
    for (int j = 0; j < 12; j++) {
      assertThat(got[j]).as("coordinate %d", j).isEqualTo(mask[j] == 1f ? trained[j] : g[j]);
    }
    assertThat(o.result().parameters().sameSpec(global)).isTrue();
    assertThat(o.result().attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow().flatten()).isEqualTo(mask);
    assertThat(o.result().numExamples()).isEqualTo(3);
  }

  @Test
  void malformedCompactUploads_areRejectedNamingTheClient() throws Exception {
    RawSession s = hello("c2", true);
    ParameterSet global = LoopbackFederationTest.initial(10);
    CompletableFuture<FitOutcome> first = task(global);
    TaskHeader task = s.task();
    float[] mask = {1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    byte[] enc = CompactSubModels.encode(new float[12], mask);
    byte[] popcount = enc.clone();
    popcount[0] |= 0b100; // marks a fourth position, but only three values are announced and sent
    sendCompact(s, task, 3, popcount);
    TaskRejected r = s.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(r.getCode()).isEqualTo("INVALID_ARGUMENT");
    assertThat(r.getMessage()).contains("client c2").contains("bitmap marks 4 positions").contains("announces 3");
    assertThat(first).failsWithin(10, TimeUnit.SECONDS);

    CompletableFuture<FitOutcome> second = task(global);
    TaskHeader again = s.task();
    s.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(again.getTaskId())
        .setRound(again.getRound()).setNumExamples(3).setSpec(again.getSpec())
        .setCompactSubmodel(CompactSubModel.newBuilder().setBytes(enc.length + 1).setValues(3))).build());
    r = s.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected();
    assertThat(r.getMessage()).contains("client c2").contains("announces " + (enc.length + 1) + " bytes")
        .contains("expected " + enc.length);
    assertThat(second).failsWithin(10, TimeUnit.SECONDS);
  }

  @Test
  void aClientWithoutTheCapability_keepsTheV14Form_andMayNotSendTheCompactOne() throws Exception {
    RawSession s = hello("old", false);
    ParameterSet global = LoopbackFederationTest.initial(10);
    CompletableFuture<FitOutcome> outcome = task(global);
    TaskHeader task = s.task();
    float[] mask = {1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1};
    float[] plusOne = global.flatten();
    for (int j = 0; j < plusOne.length; j++) {
      plusOne[j] += 1f;
    }
    ParameterSet model = global.unflatten(plusOne);
    ParameterSet m = global.unflatten(mask);
    Attachments a = Attachments.none().with(AttachmentKey.TRAINED_MASK, m);
    s.send(ClientMessage.newBuilder().setUpdateHeader(UpdateHeader.newBuilder().setTaskId(task.getTaskId())
        .setRound(task.getRound()).setNumExamples(1).setSpec(Payloads.spec(model, a))).build());
    Iterator<dev.starling.transport.grpc.proto.Chunk> chunks = Payloads.chunks(task.getTaskId(),
        Payloads.ordered(model, a), 1000);
    while (chunks.hasNext()) {
      s.send(ClientMessage.newBuilder().setChunk(chunks.next()).build());
    }
    s.send(ClientMessage.newBuilder().setUpdateEnd(UpdateEnd.newBuilder().setTaskId(task.getTaskId()).setValues(24)).build());
    FitOutcome o = outcome.get(10, TimeUnit.SECONDS);
    assertThat(o.result().parameters()).isEqualTo(model);
    assertThat(o.result().attachments().get(AttachmentKey.TRAINED_MASK).orElseThrow()).isEqualTo(m);

    CompletableFuture<FitOutcome> second = task(global);
    TaskHeader again = s.task();
    sendCompact(s, again, 2, CompactSubModels.encode(new float[12], mask));
    assertThat(s.next(ServerMessage.BodyCase.TASK_REJECTED).getTaskRejected().getMessage()).contains("client old")
        .contains("did not list capability '" + CompactSubModels.CAPABILITY + "'");
    assertThat(second).failsWithin(10, TimeUnit.SECONDS);
  }
}
