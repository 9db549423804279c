package dev.starling.cli;

import dev.starling.privacy.secagg.SecAggAuth;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.PublicKey;
import java.util.Map;
import java.util.TreeMap;
import java.util.stream.Stream;

/**
 * Reads the Ed25519 identity keys of authenticated secure aggregation: a directory with one PEM public key
 * per client, {@code <client-id>.pub} ({@code openssl pkey -in c1.key -pubout -out keys/c1.pub}), and a
 * client's own PEM private key ({@code openssl genpkey -algorithm ed25519 -out c1.key}).
 */
final class IdentityKeys {
  private IdentityKeys() {}

  /** Every {@code *.pub} in {@code dir} by client id; refuses a missing or empty directory, naming it. */
  static Map<String, PublicKey> publicKeys(Path dir, String what) throws IOException {
    if (!Files.isDirectory(dir)) {
      throw new IllegalArgumentException(what + " " + dir + " is not a directory (expected one <client-id>.pub per client)");
    }
    Map<String, PublicKey> keys = new TreeMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".pub")).sorted().toList()) {
        String name = f.getFileName().toString();
        keys.put(name.substring(0, name.length() - 4),
            SecAggAuth.publicKeyFromPem(Files.readString(f, StandardCharsets.US_ASCII), f.toString()));
      }
    }
    if (keys.isEmpty()) {
      throw new IllegalArgumentException(what + " " + dir + " holds no <client-id>.pub file");
    }
    return keys;
  }

  static java.security.PrivateKey privateKey(Path file) throws IOException {
    return SecAggAuth.privateKeyFromPem(Files.readString(file, StandardCharsets.US_ASCII), file.toString());
  }
}
