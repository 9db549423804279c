package dev.starling.transport.grpc.wire;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.transport.grpc.proto.Chunk;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.ServerMessage;
import io.grpc.MethodDescriptor;
import io.grpc.ServerServiceDefinition;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class WireMarshallingTest {
  private static final MethodDescriptor.Marshaller<ClientMessage> M = WireMarshalling.aliasing(ClientMessage.getDefaultInstance());

  private static ParameterSet model() {
    float[] w = new float[1000];
    for (int i = 0; i < w.length; i++) {
      w[i] = i * 0.25f - 100;
    }
    return ParameterSet.of(Tensor.of("w", w, 1000));
  }

  private static ClientMessage chunkMessage(ParameterSet p, int per) {
    Chunk c = Payloads.chunks(3, List.of(p), per).next();
    return ClientMessage.newBuilder().setChunk(c).build();
  }

  @Test
  void parsedChunksReassembleTheModelBitForBit() throws IOException {
    ParameterSet p = model();
    ChunkAssembler a = new ChunkAssembler(Payloads.spec(p, dev.starling.core.message.Attachments.none()), 1000, true, "test");
    var it = Payloads.chunks(3, List.of(p), 300);
    int messages = 0;
    while (it.hasNext()) {
      ClientMessage sent = ClientMessage.newBuilder().setChunk(it.next()).build();
      ClientMessage got = M.parse(M.stream(sent)); // gRPC's stream: known length
      assertThat(got).isEqualTo(sent);
      a.accept(got.getChunk());
      messages++;
    }
    assertThat(messages).isEqualTo(4);
    assertThat(a.model(1000).tensors().get(0).data()).isEqualTo(p.tensors().get(0).data());
  }

  @Test
  void aStreamOfUnknownLengthParsesToo() throws IOException {
    ClientMessage sent = chunkMessage(model(), 1000);
    // ByteArrayInputStream is not KnownLength: the marshaller reads it to the end
    ClientMessage got = M.parse(new ByteArrayInputStream(sent.toByteArray()));
    assertThat(got).isEqualTo(sent);
  }

  @Test
  void anEmptyMessageIsTheDefaultInstance() {
    assertThat(M.parse(new ByteArrayInputStream(new byte[0]))).isEqualTo(ClientMessage.getDefaultInstance());
  }

  @Test
  void truncatedOrGarbageBytesAreRefusedAsInvalidProtobuf() {
    byte[] whole = chunkMessage(model(), 1000).toByteArray();
    byte[] truncated = Arrays.copyOf(whole, whole.length - 7);
    assertThatThrownBy(() -> M.parse(new ByteArrayInputStream(truncated)))
        .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("Invalid protobuf byte sequence");
    byte[] garbage = new byte[64];
    Arrays.fill(garbage, (byte) 0xff);
    assertThatThrownBy(() -> M.parse(new ByteArrayInputStream(garbage)))
        .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("Invalid protobuf byte sequence");
  }

  @Test
  void aKnownLengthStreamThatEndsEarlyIsRefused() {
    InputStream shortStream = new InputStream() {
      private int left = 10;

      @Override
      public int available() {
        return 100;
      }

      @Override
      public int read() {
        return left-- > 0 ? 0 : -1;
      }
    };
    class Known extends java.io.FilterInputStream implements io.grpc.KnownLength {
      Known(InputStream in) {
        super(in);
      }
    }
    assertThatThrownBy(() -> M.parse(new Known(shortStream)))
        .isInstanceOf(StatusRuntimeException.class).hasMessageContaining("ended after 10 of 100 bytes");
  }

  @Test
  void bothSidesOfTheSessionUseTheAliasingMarshallerAndKeepTheMethodName() {
    MethodDescriptor<ClientMessage, ServerMessage> client = WireMarshalling.clientSession();
    assertThat(client.getFullMethodName()).isEqualTo(FederationGrpc.getSessionMethod().getFullMethodName());
    assertThat(client.getResponseMarshaller().getClass().getSimpleName()).isEqualTo("Aliasing");

    ServerServiceDefinition bound = new FederationGrpc.FederationImplBase() {}.bindService();
    ServerServiceDefinition fast = WireMarshalling.serverSession(bound);
    var m = fast.getMethod(FederationGrpc.getSessionMethod().getFullMethodName());
    assertThat(m.getMethodDescriptor().getRequestMarshaller().getClass().getSimpleName()).isEqualTo("Aliasing");
    assertThat(m.getServerCallHandler())
        .isSameAs(bound.getMethod(FederationGrpc.getSessionMethod().getFullMethodName()).getServerCallHandler());
    assertThat(fast.getServiceDescriptor().getName()).isEqualTo(bound.getServiceDescriptor().getName());
  }

  @Test
  void aServerMessageRoundTripsThroughTheClientSideMarshaller() throws IOException {
    ServerMessage sent = ServerMessage.newBuilder().setChunk(chunkMessage(model(), 500).getChunk()).build();
    var marshaller = WireMarshalling.clientSession().getResponseMarshaller();
    assertThat(marshaller.parse(marshaller.stream(sent))).isEqualTo(sent);
  }

  @Test
  void theVectorizedFinitenessCheckSeparatesTheLargestFiniteValuesFromInfinitiesAndNaNs() {
    float[] edge = {0f, -0f, Float.MAX_VALUE, -Float.MAX_VALUE, Float.MIN_VALUE, 1e-40f, 3f};
    assertThat(finite(edge, 0, edge.length)).isTrue();
    for (float bad : new float[] {Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY, Float.NaN,
        Float.intBitsToFloat(0xffc00001)}) {
      float[] d = edge.clone();
      d[5] = bad;
      assertThat(finite(d, 0, d.length)).as("%s", bad).isFalse();
      assertThat(finite(d, 0, 5)).as("range before %s", bad).isTrue();
      assertThat(finite(d, 6, d.length)).as("range after %s", bad).isTrue();
    }
  }

  /** The assembler's finiteness test: the range's largest magnitude is at most Float.MAX_VALUE. */
  private static boolean finite(float[] d, int from, int to) {
    return dev.starling.core.tensor.Tensor.maxAbs(d, from, to) <= Float.MAX_VALUE;
  }
}
