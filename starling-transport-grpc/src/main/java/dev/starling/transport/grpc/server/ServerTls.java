package dev.starling.transport.grpc.server;

import dev.starling.transport.grpc.TlsFiles;
import io.grpc.InsecureServerCredentials;
import io.grpc.ServerCredentials;
import io.grpc.TlsServerCredentials;
import java.io.IOException;
import java.io.UncheckedIOException;

/**
 * The credentials of a listening endpoint (the federation server, a gossip peer) from its {@link TlsFiles}: plaintext
 * without them, TLS with a certificate and key, mutual TLS (client certificates required) when a trust file is given.
 */
public final class ServerTls {
  private ServerTls() {}

  /**
   * Credentials for {@code tls} (null: plaintext); {@code role} names the endpoint in the error for a missing certificate.
   *
   * @throws UncheckedIOException if a TLS file cannot be read
   */
  public static ServerCredentials credentials(TlsFiles tls, String role) {
    if (tls == null) {
      return InsecureServerCredentials.create();
    }
    try {
      TlsServerCredentials.Builder b = TlsServerCredentials.newBuilder().keyManager(
          tls.certChain().orElseThrow(() -> new IllegalArgumentException("TLS on " + role + " needs a certificate"))
              .toFile(),
          tls.privateKey().orElseThrow().toFile());
      if (tls.trust().isPresent()) {
        b.trustManager(tls.trust().get().toFile()).clientAuth(TlsServerCredentials.ClientAuth.REQUIRE);
      }
      return b.build();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read TLS files: " + e.getMessage(), e);
    }
  }
}
