package dev.starling.core.io;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UTFDataFormatException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * A model on disk: string metadata (model architecture, task, label mapping, provenance), parameters, and
 * auxiliary named float arrays (preprocessing statistics such as the standardiser's means and deviations).
 *
 * <p>Format version 2, all integers big-endian:
 * <pre>
 *   magic    8 bytes  "STRLNGM\0"
 *   version  int32    2
 *   nmeta    int32    number of metadata entries, then per entry: key, value as modified UTF-8 (DataOutput.writeUTF)
 *   ntensor  int32    then per tensor: name (writeUTF), rank int32, dims int32..., then size float32 values little-endian
 *   naux     int32    auxiliary tensors, each written like a parameter tensor          (version 2 only)
 *   crc32    int64    CRC-32 of every byte before it
 * </pre>
 * Version 1 is the same without {@code naux} and its tensors; it is still read (with no auxiliary tensors).
 * Readers reject another magic, a newer version, a truncated file or a CRC mismatch with a message
 * naming the problem. The class is immutable.
 *
 * @param metadata string fields, in insertion order
 * @param parameters the model's parameters
 * @param auxiliary named float arrays that are not parameters (empty for version-1 files)
 */
public record ModelArchive(Map<String, String> metadata, ParameterSet parameters, ParameterSet auxiliary) {
  /** The format version this code writes. */
  public static final int VERSION = 2;

  private static final byte[] MAGIC = {'S', 'T', 'R', 'L', 'N', 'G', 'M', 0};

  public ModelArchive {
    Objects.requireNonNull(parameters, "parameters");
    Objects.requireNonNull(auxiliary, "auxiliary");
    metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
  }

  /** An archive without auxiliary tensors. */
  public ModelArchive(Map<String, String> metadata, ParameterSet parameters) {
    this(metadata, parameters, ParameterSet.of(List.of()));
  }

  /** Writes this archive to {@code out} (not closed). */
  public void writeTo(OutputStream out) throws IOException {
    CRC32 crc = new CRC32();
    DataOutputStream data = new DataOutputStream(new CheckedOutputStream(nonClosing(out), crc));
    data.write(MAGIC);
    data.writeInt(VERSION);
    data.writeInt(metadata.size());
    for (Map.Entry<String, String> e : metadata.entrySet()) {
      data.writeUTF(e.getKey());
      data.writeUTF(e.getValue());
    }
    byte[] buf = new byte[64 * 1024];
    writeTensors(data, parameters, buf);
    writeTensors(data, auxiliary, buf);
    data.flush();
    new DataOutputStream(nonClosing(out)).writeLong(crc.getValue());
    out.flush();
  }

  private static void writeTensors(DataOutputStream data, ParameterSet tensors, byte[] buf) throws IOException {
    data.writeInt(tensors.count());
    for (Tensor t : tensors) {
      data.writeUTF(t.name());
      data.writeInt(t.rank());
      for (int d : t.shape()) {
        data.writeInt(d);
      }
      float[] v = t.data();
      ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
      for (int i = 0; i < v.length; ) {
        bb.clear();
        int n = Math.min(v.length - i, buf.length / Float.BYTES);
        bb.asFloatBuffer().put(v, i, n);
        data.write(buf, 0, n * Float.BYTES);
        i += n;
      }
    }
  }

  /** Serialises to a byte array. */
  public byte[] toBytes() {
    ByteArrayOutputStream bos = new ByteArrayOutputStream();
    try {
      writeTo(bos);
    } catch (IOException e) {
      throw new FlException(ErrorCode.INTERNAL, "in-memory write failed", e);
    }
    return bos.toByteArray();
  }

  /**
   * Reads an archive; {@code source} names the input (a file path) in error messages.
   *
   * @throws IOException on I/O failure or a malformed, truncated or corrupted archive
   */
  public static ModelArchive readFrom(InputStream in, String source) throws IOException {
    CRC32 crc = new CRC32();
    DataInputStream data = new DataInputStream(new CheckedInputStream(in, crc));
    try {
      byte[] magic = new byte[MAGIC.length];
      data.readFully(magic);
      if (!java.util.Arrays.equals(magic, MAGIC)) {
        throw new IOException(source + ": not a Starling model file (bad magic)");
      }
      int version = data.readInt();
      if (version < 1 || version > VERSION) {
        throw new IOException(source + ": model format version " + version + " is not supported (this build reads 1.." + VERSION + ")");
      }
      int nmeta = checkCount(data.readInt(), source, "metadata count");
      Map<String, String> meta = new LinkedHashMap<>();
      for (int i = 0; i < nmeta; i++) {
        meta.put(data.readUTF(), data.readUTF());
      }
      byte[] buf = new byte[64 * 1024];
      ParameterSet params = readTensors(data, source, buf);
      ParameterSet aux = version >= 2 ? readTensors(data, source, buf) : ParameterSet.of(List.of());
      long expected = crc.getValue();
      long stored = new DataInputStream(in).readLong();
      if (stored != expected) {
        throw new IOException(source + ": checksum mismatch (file corrupted)");
      }
      try {
        return new ModelArchive(meta, params, aux);
      } catch (IllegalArgumentException | FlException e) {
        throw new IOException(source + ": " + e.getMessage(), e);
      }
    } catch (EOFException e) {
      throw new IOException(source + ": truncated model file", e);
    } catch (UTFDataFormatException e) {
      throw new IOException(source + ": malformed text in a metadata entry or tensor name (" + e.getMessage() + ")", e);
    }
  }

  private static ParameterSet readTensors(DataInputStream data, String source, byte[] buf) throws IOException {
      int nt = checkCount(data.readInt(), source, "tensor count");
      List<Tensor> tensors = new ArrayList<>(nt);
      for (int k = 0; k < nt; k++) {
        String name = data.readUTF();
        int rank = data.readInt();
        if (rank < 0 || rank > 8) {
          throw new IOException(source + ": tensor '" + name + "' has invalid rank " + rank);
        }
        int[] shape = new int[rank];
        long n = 1;
        for (int i = 0; i < rank; i++) {
          shape[i] = data.readInt();
          if (shape[i] <= 0) {
            throw new IOException(source + ": tensor '" + name + "' has invalid dimension " + shape[i]);
          }
          n *= shape[i];
          if (n > Integer.MAX_VALUE - 8) { // checked per dimension: eight int dimensions overflow a long
            throw new IOException(source + ": tensor '" + name + "' too large: more than " + (Integer.MAX_VALUE - 8) + " values");
          }
        }
        // grow with the bytes actually present, so a header that claims 2^31 values costs no 8 GiB up front
        float[] v = new float[(int) Math.min(n, 1 << 16)];
        for (int i = 0; i < n; ) {
          int m = (int) Math.min(n - i, buf.length / Float.BYTES);
          data.readFully(buf, 0, m * Float.BYTES);
          if (i + m > v.length) {
            v = java.util.Arrays.copyOf(v, (int) Math.min(n, Math.max(i + m, 2L * v.length)));
          }
          ByteBuffer.wrap(buf, 0, m * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN).asFloatBuffer().get(v, i, m);
          i += m;
        }
        tensors.add(tensor(name, v, shape, source));
      }
      try {
        return ParameterSet.of(tensors);
      } catch (IllegalArgumentException | FlException e) {
        throw new IOException(source + ": " + e.getMessage(), e);
      }
  }

  private static Tensor tensor(String name, float[] values, int[] shape, String source) throws IOException {
    try {
      return Tensor.of(name, values, shape);
    } catch (IllegalArgumentException | FlException e) {
      throw new IOException(source + ": " + e.getMessage(), e);
    }
  }

  /** Metadata value {@code key}; throws IOException-free {@link FlException} NOT_FOUND naming the key. */
  public String require(String key) {
    String v = metadata.get(key);
    if (v == null) {
      throw new FlException(ErrorCode.NOT_FOUND, "model file lacks metadata field '" + key + "'");
    }
    return v;
  }

  private static int checkCount(int n, String source, String what) throws IOException {
    if (n < 0 || n > 1_000_000) {
      throw new IOException(source + ": invalid " + what + " " + n);
    }
    return n;
  }

  private static OutputStream nonClosing(OutputStream out) {
    return new java.io.FilterOutputStream(out) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }
}
