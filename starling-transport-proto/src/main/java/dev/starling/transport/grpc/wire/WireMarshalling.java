package dev.starling.transport.grpc.wire;

import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.ServerMessage;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;

/**
 * The session method with a faster inbound path than gRPC's default protobuf marshaller. That one reads
 * each message into a reused per-thread buffer and then copies every {@code bytes} field out of it again
 * (a chunk's 1 MiB of floats: two copies before {@link ChunkAssembler} makes the third). Here each message
 * is read once into a byte array of its own, which the parsed message then shares: {@code bytes} fields
 * ({@code Chunk.data}, {@code ProtocolMessage.payload}) are views of that array (protobuf aliasing), so a
 * chunk's values are copied once off the transport and once into the model. The array belongs to the
 * message alone, so a message may be kept (queued, retried) as long as needed; memory per message is its
 * serialized size, as before. Outbound messages use gRPC's own marshaller (it already writes a message
 * straight into the transport's buffers). The wire format is unchanged.
 */
public final class WireMarshalling {
  private WireMarshalling() {}

  /** The session method, client side: parses {@link ServerMessage}s with aliasing. */
  public static MethodDescriptor<ClientMessage, ServerMessage> clientSession() {
    return FederationGrpc.getSessionMethod().toBuilder()
        .setResponseMarshaller(aliasing(ServerMessage.getDefaultInstance())).build();
  }

  /**
   * {@code service} (the bound Federation service) with its session method parsing {@link ClientMessage}s
   * with aliasing; every other method is kept as it is.
   */
  @SuppressWarnings("unchecked")
  public static ServerServiceDefinition serverSession(ServerServiceDefinition service) {
    String session = FederationGrpc.getSessionMethod().getFullMethodName();
    ServerServiceDefinition.Builder b = ServerServiceDefinition.builder(service.getServiceDescriptor().getName());
    for (ServerMethodDefinition<?, ?> m : service.getMethods()) {
      if (m.getMethodDescriptor().getFullMethodName().equals(session)) {
        ServerMethodDefinition<ClientMessage, ServerMessage> s = (ServerMethodDefinition<ClientMessage, ServerMessage>) m;
        b.addMethod(s.getMethodDescriptor().toBuilder().setRequestMarshaller(aliasing(ClientMessage.getDefaultInstance()))
            .build(), s.getServerCallHandler());
      } else {
        b.addMethod(m);
      }
    }
    return b.build();
  }

  /** A marshaller for {@code T} that parses with aliasing (see the class comment) and serializes as gRPC does. */
  public static <T extends Message> MethodDescriptor.Marshaller<T> aliasing(T defaultInstance) {
    return new Aliasing<>(defaultInstance);
  }

  private static final class Aliasing<T extends Message> implements MethodDescriptor.PrototypeMarshaller<T> {
    private final T prototype;
    private final Parser<T> parser;
    private final MethodDescriptor.Marshaller<T> plain;

    @SuppressWarnings("unchecked")
    Aliasing(T prototype) {
      this.prototype = prototype;
      this.parser = (Parser<T>) prototype.getParserForType();
      this.plain = ProtoUtils.marshaller(prototype);
    }

    @Override
    public T getMessagePrototype() {
      return prototype;
    }

    @Override
    public Class<T> getMessageClass() {
      @SuppressWarnings("unchecked")
      Class<T> c = (Class<T>) prototype.getClass();
      return c;
    }

    @Override
    public InputStream stream(T value) {
      return plain.stream(value);
    }

    @Override
    public T parse(InputStream stream) {
      try {
        byte[] buf = stream instanceof KnownLength ? readKnown(stream) : stream.readAllBytes();
        if (buf.length == 0) {
          return prototype;
        }
        // unsafeWrap marks the array immutable (it is: nothing else holds it), which protobuf requires
        // before a parsed bytes field may share it instead of copying
        CodedInputStream in = UnsafeByteOperations.unsafeWrap(buf).newCodedInput();
        in.enableAliasing(true);
        T message = parser.parseFrom(in, ExtensionRegistryLite.getEmptyRegistry());
        in.checkLastTagWas(0);
        return message;
      } catch (InvalidProtocolBufferException e) {
        throw Status.INTERNAL.withDescription("Invalid protobuf byte sequence").withCause(e).asRuntimeException();
      } catch (IOException e) {
        throw Status.INTERNAL.withDescription("cannot read a " + prototype.getDescriptorForType().getName() + " message: "
            + e.getMessage())
            .withCause(e).asRuntimeException();
      }
    }

    /** Reads a stream of known length into an array of exactly that size (one copy). */
    private static byte[] readKnown(InputStream stream) throws IOException {
      int size = stream.available();
      byte[] buf = new byte[size];
      int pos = 0;
      while (pos < size) {
        int n = stream.read(buf, pos, size - pos);
        if (n < 0) {
          throw new IOException("message ended after " + pos + " of " + size + " bytes");
        }
        pos += n;
      }
      if (stream.read() != -1) {
        throw new IOException("message longer than its announced " + size + " bytes");
      }
      return buf;
    }
  }
}
