package dev.starling.vertical.link;

import dev.starling.transport.grpc.TlsFiles;
import io.grpc.ChannelCredentials;
import io.grpc.Grpc;
import io.grpc.InsecureChannelCredentials;
import io.grpc.InsecureServerCredentials;
import io.grpc.ManagedChannel;
import io.grpc.ServerBuilder;
import io.grpc.ServerCredentials;
import io.grpc.TlsChannelCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.Optional;

/**
 * Server builders and channels for the vertical link with the same TLS choices as the federation server and
 * client ({@link TlsFiles}: server certificate and key; a trust CA on the server requires mutual TLS; on the
 * dialling side the CA that signed the listener's certificate, plus an optional client certificate). Without
 * TLS files the link is plaintext, which only suits a trusted network or a test.
 */
public final class LinkEndpoints {
  /** Frames are at most 1 MiB, so the default 4 MiB limit leaves room; kept explicit. */
  private static final int MAX_INBOUND = 4 << 20;

  private LinkEndpoints() {}

  /** A server builder on {@code port} (0: any free port). */
  public static ServerBuilder<?> server(int port, Optional<TlsFiles> tls) {
    ServerCredentials creds = InsecureServerCredentials.create();
    if (tls.isPresent()) {
      TlsFiles t = tls.get();
      try {
        TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(
            t.certChain().orElseThrow(() -> new IllegalArgumentException("TLS on the listening party needs a certificate")).toFile(),
            t.privateKey().orElseThrow().toFile());
        if (t.trust().isPresent()) {
          b.trustManager(t.trust().get().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
        }
        creds = b.build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
      }
    }
    return Grpc.newServerBuilderForPort(port, creds).maxInboundMessageSize(MAX_INBOUND);
  }

  /** A channel to {@code host:port}. */
  public static ManagedChannel channel(String host, int port, Optional<TlsFiles> tls) {
    ChannelCredentials creds = InsecureChannelCredentials.create();
    if (tls.isPresent()) {
      TlsFiles t = tls.get();
      try {
        TlsChannelCredentials.Builder b = TlsChannelCredentials.newBuilder();
        if (t.trust().isPresent()) {
          b.trustManager(t.trust().get().toFile());
        }
        if (t.certChain().isPresent()) {
          b.keyManager(t.certChain().get().toFile(), t.privateKey().orElseThrow().toFile());
        }
        creds = b.build();
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
      }
    }
    return Grpc.newChannelBuilderForAddress(host, port, creds).maxInboundMessageSize(MAX_INBOUND).build();
  }
}
