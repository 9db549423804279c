package dev.starling.ledger;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.io.ModelArchive;
import dev.starling.core.tensor.ParameterSet;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Optional;

/**
 * The updates and global models a ledger's digests name, kept for {@code ledger verify --models}: one
 * {@link ModelArchive} file per distinct content, named by its SHA-256 ({@code <hex>.model}, so a model
 * kept twice is one file), and {@code AGGREGATE}, the rule that turned a round's updates into its
 * model ({@value #FEDAVG} when verify can recompute it, else the strategy's description).
 */
public final class ModelStore {
  /** The example-weighted average of the updates (FedAvg): the rule {@link ModelVerifier} recomputes. */
  public static final String FEDAVG = "fedavg-examples";
  static final String AGGREGATE = "AGGREGATE";

  private final Path dir;

  private ModelStore(Path dir) {
    this.dir = dir;
  }

  /** Opens (creating) {@code dir} and records the aggregation rule of the run that writes it. */
  public static ModelStore create(Path dir, String aggregate) {
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve(AGGREGATE), aggregate + "\n", StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "cannot write " + dir + ": " + e.getMessage(), e);
    }
    return new ModelStore(dir);
  }

  /** Opens an existing store for reading; refuses a directory without {@code AGGREGATE}. */
  public static ModelStore open(Path dir) throws IOException {
    if (!Files.isRegularFile(dir.resolve(AGGREGATE))) {
      throw new IOException(dir + " holds no " + AGGREGATE + " file: not a directory of kept updates and models"
          + " (written by --ledger-keep-updates)");
    }
    return new ModelStore(dir);
  }

  public Path dir() {
    return dir;
  }

  /** The aggregation rule recorded by the run. */
  public String aggregate() throws IOException {
    return Files.readString(dir.resolve(AGGREGATE), StandardCharsets.UTF_8).strip();
  }

  /** Keeps {@code p} (once per content) and returns its digest. */
  public byte[] put(ParameterSet p) {
    byte[] digest = Digests.of(p);
    Path file = file(digest);
    if (Files.exists(file)) {
      return digest;
    }
    try {
      Path tmp = Files.createTempFile(dir, Digests.hex(digest).substring(0, 16), ".tmp");
      try (OutputStream out = Files.newOutputStream(tmp)) {
        new ModelArchive(Map.of(), p).writeTo(out);
      }
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (IOException e) {
      throw new FlException(ErrorCode.UNAVAILABLE, "cannot keep a model in " + dir + ": " + e.getMessage(), e);
    }
    return digest;
  }

  /** The model kept under {@code digest}, or empty when there is no such file. Its content is not checked here. */
  public Optional<ParameterSet> get(byte[] digest) throws IOException {
    Path file = file(digest);
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    try (InputStream in = Files.newInputStream(file)) {
      return Optional.of(ModelArchive.readFrom(in, file.toString()).parameters());
    }
  }

  public Path file(byte[] digest) {
    return dir.resolve(Digests.hex(digest) + ".model");
  }
}
