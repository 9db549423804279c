package dev.starling.transport.grpc.client;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.zip.CRC32;

/**
 * A networked client's own state between rounds (SCAFFOLD's client control variate, an error-feedback
 * residual: {@link dev.starling.core.learner.ClientState#snapshot()}) in one file per client in a
 * directory, so a client process that restarts carries on with it rather than from zero. The file is
 * keyed by run id and client id: it is written for one run and one client, and reading it for another
 * run or client is refused (a control variate of another run would silently bias this one).
 *
 * <p>Written after every training job to a temporary file, forced to disk and atomically renamed, so a
 * crash leaves the previous state or the new one. Format (big-endian): magic {@code STRLCST1}, version
 * int32 (1), run id UTF, client id UTF, round int32, tensors int32 n, n x (name UTF, rank int32, dims
 * int32..., values float32), CRC-32 int64 of every byte before it. Thread-safe for one writer.
 */
public final class ClientStateFile {
  private static final byte[] MAGIC = "STRLCST1".getBytes(StandardCharsets.US_ASCII);
  private static final int VERSION = 1;

  private final Path file;
  private final String clientId;

  /** The state file of {@code clientId} in {@code dir}. */
  public ClientStateFile(Path dir, String clientId) {
    this.clientId = clientId;
    this.file = dir.resolve(fileName(clientId));
  }

  /** {@code client-ID.state} for ids of plain characters, else {@code client-SHA256PREFIX.state}. */
  static String fileName(String clientId) {
    if (clientId.matches("[A-Za-z0-9._-]{1,100}") && !clientId.startsWith(".")) {
      return "client-" + clientId + ".state";
    }
    try {
      byte[] h = MessageDigest.getInstance("SHA-256").digest(clientId.getBytes(StandardCharsets.UTF_8));
      return "client-" + HexFormat.of().formatHex(h, 0, 16) + ".state";
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  public Path path() {
    return file;
  }

  /** What was saved: the round of the last job and the state. */
  public record Saved(int round, ParameterSet state) {}

  /**
   * The state saved for run {@code runId}, or empty if there is no file. Throws {@link FlException}
   * ({@link ErrorCode#FAILED_PRECONDITION}) naming the file if it belongs to another run or client, or is
   * corrupt.
   */
  public Optional<Saved> load(String runId) {
    if (!Files.exists(file)) {
      return Optional.empty();
    }
    byte[] all;
    try {
      all = Files.readAllBytes(file);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read client state file " + file + ": " + e.getMessage(), e);
    }
    if (all.length < 8) {
      throw corrupt("truncated");
    }
    CRC32 crc = new CRC32();
    crc.update(all, 0, all.length - 8);
    if (ByteBuffer.wrap(all, all.length - 8, 8).getLong() != crc.getValue()) {
      throw corrupt("CRC mismatch: the file is corrupt");
    }
    try (DataInputStream in = new DataInputStream(new java.io.ByteArrayInputStream(all, 0, all.length - 8))) {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw corrupt("not a Starling client state file (bad magic)");
      }
      int version = in.readInt();
      if (version != VERSION) {
        throw corrupt("format version " + version + ", this build reads " + VERSION);
      }
      String run = in.readUTF();
      String client = in.readUTF();
      if (!client.equals(clientId)) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "client state file " + file + " belongs to client '" + client
            + "', not '" + clientId + "'");
      }
      if (!run.equals(runId)) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, "client state file " + file + " belongs to run '" + run
            + "', but the server runs '" + runId + "': remove the file (the state of that run is useless here) or use"
            + " another --state-dir");
      }
      int round = in.readInt();
      int n = in.readInt();
      if (n < 0 || n > 100_000) {
        throw corrupt("implausible tensor count " + n);
      }
      List<Tensor> ts = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        String name = in.readUTF();
        int rank = in.readInt();
        if (rank <= 0 || rank > 16) {
          throw corrupt("tensor " + name + " has implausible rank " + rank);
        }
        int[] shape = new int[rank];
        long size = 1;
        for (int k = 0; k < rank; k++) {
          shape[k] = in.readInt();
          size *= shape[k];
          if (shape[k] <= 0 || size > all.length) {
            throw corrupt("tensor " + name + " has implausible shape " + Arrays.toString(shape));
          }
        }
        float[] d = new float[(int) size];
        for (int j = 0; j < d.length; j++) {
          d[j] = in.readFloat();
        }
        ts.add(Tensor.of(name, d, shape));
      }
      if (in.available() != 0) {
        throw corrupt("trailing bytes");
      }
      return Optional.of(new Saved(round, ParameterSet.of(ts)));
    } catch (EOFException e) {
      throw corrupt("truncated");
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read client state file " + file + ": " + e.getMessage(), e);
    } catch (IllegalArgumentException e) {
      throw corrupt(e.getMessage());
    }
  }

  /** Saves {@code state} after round {@code round} of run {@code runId}, atomically. */
  public void save(String runId, int round, ParameterSet state) {
    try {
      ByteArrayOutputStream bytes = new ByteArrayOutputStream();
      DataOutputStream out = new DataOutputStream(bytes);
      out.write(MAGIC);
      out.writeInt(VERSION);
      out.writeUTF(runId);
      out.writeUTF(clientId);
      out.writeInt(round);
      out.writeInt(state.count());
      for (Tensor t : state) {
        out.writeUTF(t.name());
        out.writeInt(t.shape().length);
        for (int d : t.shape()) {
          out.writeInt(d);
        }
        for (float v : t.data()) {
          out.writeFloat(v);
        }
      }
      out.flush();
      CRC32 crc = new CRC32();
      crc.update(bytes.toByteArray());
      out.writeLong(crc.getValue());
      out.flush();
      Path dir = file.toAbsolutePath().getParent();
      Files.createDirectories(dir);
      Path tmp = dir.resolve("." + file.getFileName() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(bytes.toByteArray());
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write client state file " + file + ": " + e.getMessage(), e);
    }
  }

  private FlException corrupt(String what) {
    return new FlException(ErrorCode.FAILED_PRECONDITION, "client state file " + file + ": " + what
        + "; remove it to start this client's state from zero");
  }
}
