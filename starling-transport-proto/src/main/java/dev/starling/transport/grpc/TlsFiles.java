package dev.starling.transport.grpc;

import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * PEM files for TLS. On the server: its certificate chain and key, plus {@code trust} = the CA that signs
 * client certificates to require mutual TLS. On a client: {@code trust} = the CA that signed the server's
 * certificate (empty: the JDK's default trust store), plus its own certificate and key for mutual TLS.
 *
 * @param certChain PEM certificate chain of this side (required on the server; for mTLS on a client)
 * @param privateKey PEM PKCS#8 private key matching {@code certChain}
 * @param trust PEM CA certificate(s) used to verify the peer
 */
public record TlsFiles(Optional<Path> certChain, Optional<Path> privateKey, Optional<Path> trust) {
  public TlsFiles {
    Objects.requireNonNull(certChain, "certChain");
    Objects.requireNonNull(privateKey, "privateKey");
    Objects.requireNonNull(trust, "trust");
    if (certChain.isPresent() != privateKey.isPresent()) {
      throw new IllegalArgumentException("a TLS certificate chain and its private key go together; got "
          + (certChain.isPresent() ? "a certificate without a key" : "a key without a certificate"));
    }
  }
}
