package dev.starling.ledger;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.spec.NamedParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Base64;
import java.util.List;

/** Ed25519 keys and signatures on the JDK's own provider (no third-party crypto). */
public final class Ed25519 {
  private final KeyPair pair;

  private Ed25519(KeyPair pair) {
    this.pair = pair;
  }

  /** A new key pair drawn from {@code random} (a {@link SecureRandom}; tests pass a fixed one). */
  public static Ed25519 generate(SecureRandom random) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("Ed25519");
      g.initialize(NamedParameterSpec.ED25519, random);
      return new Ed25519(g.generateKeyPair());
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no Ed25519", e);
    }
  }

  public static Ed25519 generate() {
    return generate(new SecureRandom());
  }

  /** The public key, X.509-encoded (44 bytes), as blocks record it. */
  public byte[] publicKey() {
    return pair.getPublic().getEncoded();
  }

  /** Ed25519 signature (64 bytes) of {@code message}. */
  public byte[] sign(byte[] message) {
    try {
      Signature s = Signature.getInstance("Ed25519");
      s.initSign(pair.getPrivate());
      s.update(message);
      return s.sign();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("Ed25519 signing failed", e);
    }
  }

  /** Whether {@code signature} is {@code publicKey}'s (X.509) signature of {@code message}; false for malformed keys. */
  public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
    try {
      PublicKey k = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(publicKey));
      Signature s = Signature.getInstance("Ed25519");
      s.initVerify(k);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      return false;
    }
  }

  /**
   * The key pair in {@code file} (two lines: base64 PKCS#8 private key, base64 X.509 public key),
   * created with owner-only permissions if absent.
   */
  public static Ed25519 loadOrCreate(Path file) {
    try {
      if (Files.exists(file)) {
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII);
        if (lines.size() < 2) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, file + ": expected 2 lines (private, public key), found " + lines.size());
        }
        KeyFactory f = KeyFactory.getInstance("Ed25519");
        try {
          var priv = f.generatePrivate(new PKCS8EncodedKeySpec(Base64.getDecoder().decode(lines.get(0).strip())));
          var pub = f.generatePublic(new X509EncodedKeySpec(Base64.getDecoder().decode(lines.get(1).strip())));
          return new Ed25519(new KeyPair(pub, priv));
        } catch (IllegalArgumentException | GeneralSecurityException e) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, file + ": not an Ed25519 key pair: " + e.getMessage());
        }
      }
      Ed25519 k = generate();
      String text = Base64.getEncoder().encodeToString(k.pair.getPrivate().getEncoded()) + "\n"
          + Base64.getEncoder().encodeToString(k.publicKey()) + "\n";
      Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
      Files.writeString(tmp, text, StandardCharsets.US_ASCII);
      try {
        Files.setPosixFilePermissions(tmp, PosixFilePermissions.fromString("rw-------"));
      } catch (UnsupportedOperationException e) {
        // not a POSIX file system: the directory's own permissions protect the key
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
      return k;
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK has no Ed25519", e);
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "cannot read or write the key file " + file + ": " + e.getMessage(), e);
    }
  }
}
