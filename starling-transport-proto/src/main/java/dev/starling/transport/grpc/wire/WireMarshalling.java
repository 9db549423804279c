package dev.starling.transport.grpc.wire;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.ExtensionRegistryLite;
import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.Message;
import com.google.protobuf.Parser;
import com.google.protobuf.UnsafeByteOperations;
import com.google.protobuf.WireFormat;
import dev.starling.transport.grpc.proto.ClientMessage;
import dev.starling.transport.grpc.proto.FederationGrpc;
import dev.starling.transport.grpc.proto.ServerMessage;
import io.grpc.HasByteBuffer;
import io.grpc.KnownLength;
import io.grpc.MethodDescriptor;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.protobuf.ProtoUtils;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;

/**
 * The session method with a faster inbound path than gRPC's default protobuf marshaller. That one reads
 * each message into a reused per-thread buffer and then copies every {@code bytes} field out of it again
 * (a chunk's 1 MiB of floats: two copies before {@link ChunkAssembler} makes the third).
 *
 * <p>Chunk messages (the bulk of the traffic: model downloads and update uploads) are parsed without a copy
 * where the transport offers its buffers ({@link HasByteBuffer}, as Netty's does): the message is parsed
 * with protobuf aliasing straight over the transport's direct buffers, so {@code Chunk.data} is a view of
 * them and a chunk's values are copied exactly once, by {@link ChunkAssembler}, from the socket's buffers
 * into the model's float arrays. Such a message is valid only until the stream callback that receives it
 * returns: gRPC closes the message's stream (releasing the buffers to Netty's pool) right after
 * {@code onMessage}, so the receiver must consume a chunk before returning and never keep it, which the
 * server's and the client's session handlers do ({@link ChunkAssembler#accept} and
 * {@link EncodedAssembler#accept} copy synchronously). Marking the stream before reading keeps every buffer
 * alive until that close.
 *
 * <p>Every other message (and every message over a transport without {@link HasByteBuffer}, such as OkHttp)
 * is read once into a byte array of its own, which the parsed message then shares: {@code bytes} fields
 * ({@code Chunk.data}, {@code ProtocolMessage.payload}) are views of that array, so such a message may be kept
 * (queued, retried) as long as needed. Outbound messages use gRPC's own marshaller (it already writes a
 * message straight into the transport's buffers). The wire format is unchanged.
 */
public final class WireMarshalling {
  private WireMarshalling() {}

  /** The session method, client side: parses {@link ServerMessage}s with aliasing. */
  public static MethodDescriptor<ClientMessage, ServerMessage> clientSession() {
    return FederationGrpc.getSessionMethod().toBuilder()
        .setResponseMarshaller(new Aliasing<>(ServerMessage.getDefaultInstance(), ServerMessage.CHUNK_FIELD_NUMBER)).build();
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
        b.addMethod(s.getMethodDescriptor().toBuilder()
            .setRequestMarshaller(new Aliasing<>(ClientMessage.getDefaultInstance(), ClientMessage.CHUNK_FIELD_NUMBER))
            .build(), s.getServerCallHandler());
      } else {
        b.addMethod(m);
      }
    }
    return b.build();
  }

  /** A marshaller for {@code T} that parses with aliasing (see the class comment) and serializes as gRPC does. */
  public static <T extends Message> MethodDescriptor.Marshaller<T> aliasing(T defaultInstance) {
    return new Aliasing<>(defaultInstance, 0);
  }

  /**
   * As {@link #aliasing(Message)}, and a message whose first field is {@code transientField} (a chunk) is
   * parsed over the transport's own buffers when it offers them: valid only until the stream callback that
   * receives it returns (see the class comment).
   */
  static <T extends Message> MethodDescriptor.Marshaller<T> aliasing(T defaultInstance, int transientField) {
    return new Aliasing<>(defaultInstance, transientField);
  }

  private static final class Aliasing<T extends Message> implements MethodDescriptor.PrototypeMarshaller<T> {
    private final T prototype;
    private final Parser<T> parser;
    private final MethodDescriptor.Marshaller<T> plain;
    /** The tag of the length-delimited field whose messages are parsed over the transport's buffers; 0: none. */
    private final int transientTag;

    @SuppressWarnings("unchecked")
    Aliasing(T prototype, int transientField) {
      this.prototype = prototype;
      this.transientTag = transientField == 0 ? 0 : (transientField << 3) | WireFormat.WIRETYPE_LENGTH_DELIMITED;
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
        if (transientTag != 0 && stream instanceof HasByteBuffer hb && stream instanceof KnownLength && hb.byteBufferSupported()
            && stream.markSupported()) {
          ByteBuffer first = hb.getByteBuffer();
          if (first != null && first.isDirect() && firstTag(first) == transientTag) {
            return parseInPlace(stream, hb);
          }
        }
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

    /**
     * Parses the message over the stream's own (direct) buffers: protobuf aliasing makes its {@code bytes}
     * fields views of them. The mark keeps the buffers already read from being released before gRPC closes
     * the stream.
     */
    private T parseInPlace(InputStream stream, HasByteBuffer hb) throws IOException {
      int size = stream.available();
      stream.mark(size);
      List<ByteString> parts = new ArrayList<>();
      boolean direct = true;
      for (ByteBuffer b = hb.getByteBuffer(); b != null; b = hb.getByteBuffer()) {
        int n = b.remaining();
        direct &= b.isDirect();
        parts.add(UnsafeByteOperations.unsafeWrap(b));
        for (long skipped = 0; skipped < n; ) {
          long k = stream.skip(n - skipped);
          if (k <= 0) {
            throw new IOException("message ended after " + skipped + " of " + n + " buffered bytes");
          }
          skipped += k;
        }
      }
      ByteString all = ByteString.copyFrom(parts); // a rope over the buffers, not a copy
      if (all.size() != size) {
        throw new IOException("message of " + all.size() + " bytes, announced " + size);
      }
      // a rope of direct buffers parses in place (protobuf's direct-buffer decoder); heap pieces (never from
      // Netty's pooled direct buffers) would make protobuf copy, still correctly
      CodedInputStream in = all.newCodedInput();
      in.enableAliasing(direct);
      T message = parser.parseFrom(in, ExtensionRegistryLite.getEmptyRegistry());
      in.checkLastTagWas(0);
      return message;
    }

    /** The first tag of a serialized message starting in {@code b}, or -1 if it is not readable there. */
    private static int firstTag(ByteBuffer b) {
      int tag = 0;
      for (int i = 0, p = b.position(); i < 5 && p + i < b.limit(); i++) {
        int x = b.get(p + i) & 0xff;
        tag |= (x & 0x7f) << (7 * i);
        if (x < 0x80) {
          return tag;
        }
      }
      return -1;
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
