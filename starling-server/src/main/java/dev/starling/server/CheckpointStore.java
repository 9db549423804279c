package dev.starling.server;

import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.message.ClientFailure;
import dev.starling.core.message.ClientId;
import dev.starling.core.metrics.Metrics;
import dev.starling.core.tensor.ParameterSet;
import dev.starling.core.tensor.Tensor;
import dev.starling.strategy.ClientVerdict;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.System.Logger.Level;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import java.util.zip.CRC32;
import java.util.zip.CheckedInputStream;
import java.util.zip.CheckedOutputStream;

/**
 * Server checkpoints in a directory: one file per completed round, {@code checkpoint-NNNNNN.ckpt},
 * written to a temporary file, forced to disk and atomically renamed, so a crash (even {@code kill -9}
 * mid-write) leaves either the previous file set or the new one, never a half-written checkpoint under
 * a checkpoint's name. The newest {@link #KEEP} files are kept. {@link #latest()} returns the newest
 * checkpoint that reads back intact; a torn or corrupted newest file (CRC mismatch, truncation) is
 * logged and the previous one is used.
 *
 * <p>Format version 4 (versions 1 to 3 are still read: version 1 round records have no failure
 * reason, versions 1 and 2 have no client states, versions 1 to 3 no asynchronous section), integers big-endian:
 * <pre>
 *   magic "STRLCKPT", version int32, round int32,
 *   metadata: int32 n, n x (key UTF, value UTF); clients: int32 n, n x UTF;
 *   history: int32 n, n x round record (see source); global model, strategy state: tensor lists
 *   (int32 n, n x (name UTF, rank int32, dims int32..., values float32 little-endian));
 *   client states (version 3): int32 n, n x (client id UTF, tensor list), sorted by client id;
 *   asynchronous section (version 4, {@link AsyncState}): byte 0 (none) or 1, then model version int32,
 *   clock seconds float64, jobs int64, next evaluation float64, referenced models: int32 n, n x (version int32,
 *   tensor list), buffer: int32 n, n x (client id UTF, start version int32, examples int64, local steps int64,
 *   metrics int32 n, n x (key UTF, value float64), tensor list);
 *   crc32 int64 of every byte before it.
 * </pre>
 * Thread-safe for one writer.
 */
public final class CheckpointStore {
  /** Checkpoints kept: the latest and one fallback. */
  public static final int KEEP = 2;
  public static final int VERSION = 4;

  private static final System.Logger LOG = System.getLogger(CheckpointStore.class.getName());
  private static final byte[] MAGIC = {'S', 'T', 'R', 'L', 'C', 'K', 'P', 'T'};
  private static final Pattern NAME = Pattern.compile("checkpoint-(\\d{6,})\\.ckpt");
  private static final int MAX_UTF = 20_000;

  private final Path dir;

  public CheckpointStore(Path dir) {
    this.dir = dir;
  }

  public Path directory() {
    return dir;
  }

  /** The file of round {@code round}. */
  public Path fileOf(int round) {
    return dir.resolve(String.format("checkpoint-%06d.ckpt", round));
  }

  /** Writes {@code state} atomically, then deletes all but the newest {@link #KEEP} checkpoints. */
  public Path write(RunState state) {
    try {
      Files.createDirectories(dir);
      Path target = fileOf(state.round());
      Path tmp = dir.resolve("." + target.getFileName() + ".tmp");
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
          StandardOpenOption.TRUNCATE_EXISTING)) {
        OutputStream os = new BufferedOutputStream(Channels.newOutputStream(ch), 1 << 16);
        encode(state, os);
        os.flush();
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING);
      }
      syncDirectory();
      prune();
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write checkpoint of round " + state.round() + " to " + dir + ": "
          + e.getMessage(), e);
    }
  }

  private void syncDirectory() {
    try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
      d.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // not every file system lets a directory be opened; the rename is still atomic
    }
  }

  private void prune() throws IOException {
    List<Path> all = checkpoints();
    for (int i = KEEP; i < all.size(); i++) {
      Files.deleteIfExists(all.get(i));
    }
  }

  /** The checkpoint files, newest round first. */
  public List<Path> checkpoints() throws IOException {
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches())
          .sorted((a, b) -> Integer.compare(roundOf(b), roundOf(a))).toList();
    }
  }

  private static int roundOf(Path p) {
    Matcher m = NAME.matcher(p.getFileName().toString());
    return m.matches() ? Integer.parseInt(m.group(1)) : -1;
  }

  /** What {@link #latest(IfNoneReadable)} does when checkpoint files exist but not one of them reads back. */
  public enum IfNoneReadable {
    /**
     * Throw: starting over would silently restart the round count, the metrics history and the privacy
     * budget already spent (which would then be spent twice).
     */
    REFUSE,
    /** Start over on purpose: the unreadable files are renamed to {@code NAME.corrupt} (kept, never read again). */
    START_OVER
  }

  /** {@link #latest(IfNoneReadable)} that refuses to start over when every checkpoint file is unreadable. */
  public Optional<RunState> latest() {
    return latest(IfNoneReadable.REFUSE);
  }

  /**
   * The newest intact checkpoint, falling back past torn or corrupt ones; empty if there is no
   * checkpoint file. If there are checkpoint files but none is readable, {@code policy} decides:
   * {@link IfNoneReadable#REFUSE} throws {@link FlException} ({@link ErrorCode#FAILED_PRECONDITION})
   * naming every file and why it was unreadable; {@link IfNoneReadable#START_OVER} moves them aside and
   * returns empty.
   */
  public Optional<RunState> latest(IfNoneReadable policy) {
    List<Path> files;
    try {
      files = checkpoints();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir + ": " + e.getMessage(), e);
    }
    List<String> problems = new ArrayList<>();
    for (Path p : files) {
      try {
        return Optional.of(read(p));
      } catch (FlException | IOException e) {
        LOG.log(Level.WARNING, "ignoring unusable checkpoint {0}: {1}; trying the previous one", p, e.getMessage());
        problems.add(p + " (" + e.getMessage() + ")");
      }
    }
    if (files.isEmpty()) {
      return Optional.empty();
    }
    if (policy == IfNoneReadable.REFUSE) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "none of the " + files.size() + " checkpoint files in " + dir
          + " is readable: " + String.join("; ", problems) + ". Refusing to start over, which would restart the round count,"
          + " the metrics history and the privacy budget already spent; restore a good checkpoint, or start a new run on"
          + " purpose");
    }
    for (Path p : files) {
      Path aside = p.resolveSibling(p.getFileName() + ".corrupt");
      try {
        Files.move(p, aside, StandardCopyOption.REPLACE_EXISTING);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot move unreadable checkpoint " + p + " aside: " + e.getMessage(), e);
      }
      LOG.log(Level.WARNING, "starting over: unreadable checkpoint {0} moved to {1}", p, aside);
    }
    return Optional.empty();
  }

  /**
   * Where a run that resumes only when asked to (as {@code simulate --resume} does) starts: with
   * {@code resume}, the latest intact checkpoint, refusing if the directory holds none; without, round 1,
   * refusing if the directory already holds checkpoints (they belong to another run, which a new run
   * would silently overwrite). Refusals are {@link FlException}s ({@link ErrorCode#FAILED_PRECONDITION})
   * saying what to do; unreadable checkpoints are refused as by {@link #latest()}.
   */
  public Optional<RunState> startingPoint(boolean resume) {
    List<Path> files;
    try {
      files = checkpoints();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list checkpoints in " + dir + ": " + e.getMessage(), e);
    }
    if (!resume) {
      if (!files.isEmpty()) {
        throw new FlException(ErrorCode.FAILED_PRECONDITION, dir + " already holds checkpoints of a run (newest "
            + files.get(0).getFileName() + "): resume it, or choose another checkpoint directory for a new run");
      }
      return Optional.empty();
    }
    Optional<RunState> s = latest();
    if (s.isEmpty()) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "nothing to resume: " + dir + " holds no checkpoint");
    }
    return s;
  }

  /** Reads one checkpoint file; throws {@link FlException} DATA-corruption errors naming the file. */
  public static RunState read(Path file) throws IOException {
    try (InputStream in = new BufferedInputStream(Files.newInputStream(file), 1 << 16)) {
      return decode(in, file.toString());
    }
  }

  static void encode(RunState s, OutputStream raw) throws IOException {
    CRC32 crc = new CRC32();
    DataOutputStream out = new DataOutputStream(new CheckedOutputStream(raw, crc));
    out.write(MAGIC);
    out.writeInt(VERSION);
    out.writeInt(s.round());
    out.writeInt(s.metadata().size());
    for (Map.Entry<String, String> e : new java.util.TreeMap<>(s.metadata()).entrySet()) {
      out.writeUTF(e.getKey());
      out.writeUTF(clip(e.getValue()));
    }
    out.writeInt(s.clients().size());
    for (String c : s.clients()) {
      out.writeUTF(c);
    }
    out.writeInt(s.history().size());
    for (RoundRecord r : s.history()) {
      writeRecord(out, r);
    }
    writeTensors(out, s.global());
    writeTensors(out, s.strategyState());
    out.writeInt(s.clientStates().size());
    for (Map.Entry<String, ParameterSet> e : s.clientStates().entrySet()) {
      out.writeUTF(e.getKey());
      writeTensors(out, e.getValue());
    }
    out.writeBoolean(s.async().isPresent());
    if (s.async().isPresent()) {
      writeAsync(out, s.async().get());
    }
    out.flush();
    new DataOutputStream(raw).writeLong(crc.getValue());
  }

  private static void writeAsync(DataOutputStream out, AsyncState a) throws IOException {
    out.writeInt(a.modelVersion());
    out.writeDouble(a.clockSeconds());
    out.writeLong(a.jobs());
    out.writeDouble(a.nextEval());
    out.writeInt(a.models().size());
    for (Map.Entry<Integer, ParameterSet> e : a.models().entrySet()) {
      out.writeInt(e.getKey());
      writeTensors(out, e.getValue());
    }
    out.writeInt(a.buffer().size());
    for (AsyncState.Buffered b : a.buffer()) {
      out.writeUTF(b.client());
      out.writeInt(b.startVersion());
      out.writeLong(b.numExamples());
      out.writeLong(b.localSteps());
      writeMetrics(out, b.metrics());
      writeTensors(out, b.parameters());
    }
  }

  private static void writeMetrics(DataOutputStream out, Metrics metrics) throws IOException {
    Map<String, Double> m = metrics.asMap();
    out.writeInt(m.size());
    for (Map.Entry<String, Double> e : m.entrySet()) {
      out.writeUTF(e.getKey());
      out.writeDouble(e.getValue());
    }
  }

  private static Metrics readMetrics(DataInputStream in, String source) throws IOException {
    Metrics.Builder m = Metrics.builder();
    for (int i = 0, n = count(in, source); i < n; i++) {
      m.put(in.readUTF(), in.readDouble());
    }
    return m.build();
  }

  private static AsyncState readAsync(DataInputStream in, String source) throws IOException {
    int version = in.readInt();
    double clock = in.readDouble();
    long jobs = in.readLong();
    double nextEval = in.readDouble();
    Map<Integer, ParameterSet> models = new LinkedHashMap<>();
    for (int i = 0, n = count(in, source); i < n; i++) {
      int v = in.readInt();
      if (models.put(v, readTensors(in, source)) != null) {
        throw corrupt(source, "model version " + v + " is stored twice");
      }
    }
    List<AsyncState.Buffered> buffer = new ArrayList<>();
    for (int i = 0, n = count(in, source); i < n; i++) {
      String client = in.readUTF();
      int start = in.readInt();
      long examples = in.readLong();
      long steps = in.readLong();
      Metrics metrics = readMetrics(in, source);
      buffer.add(new AsyncState.Buffered(client, start, examples, steps, metrics, readTensors(in, source)));
    }
    return new AsyncState(version, clock, jobs, nextEval, buffer, models);
  }

  private static String clip(String s) {
    return s.length() <= MAX_UTF ? s : s.substring(0, MAX_UTF);
  }

  private static void writeRecord(DataOutputStream out, RoundRecord r) throws IOException {
    out.writeInt(r.round());
    writeMetrics(out, r.metrics());
    out.writeInt(r.clientsSelected());
    out.writeInt(r.clientsSucceeded());
    out.writeInt(r.failures().size());
    for (ClientFailure f : r.failures()) {
      out.writeUTF(f.client().value());
      out.writeUTF(f.code().name());
      out.writeUTF(clip(f.reason()));
    }
    out.writeLong(r.bytesUp());
    out.writeLong(r.bytesDown());
    out.writeDouble(r.seconds());
    out.writeInt(r.verdicts().size());
    for (ClientVerdict v : r.verdicts()) {
      out.writeUTF(v.client().value());
      out.writeUTF(v.action().name());
      out.writeDouble(v.weight());
      out.writeUTF(clip(v.rule()));
    }
    out.writeUTF(clip(r.failureReason()));
  }

  private static void writeTensors(DataOutputStream out, ParameterSet p) throws IOException {
    out.writeInt(p.count());
    ByteBuffer buf = ByteBuffer.allocate(1 << 16).order(ByteOrder.LITTLE_ENDIAN);
    for (Tensor t : p) {
      out.writeUTF(t.name());
      int[] shape = t.shape();
      out.writeInt(shape.length);
      for (int d : shape) {
        out.writeInt(d);
      }
      float[] d = t.data();
      for (int i = 0; i < d.length; ) {
        int n = Math.min(buf.capacity() / Float.BYTES, d.length - i);
        buf.clear();
        buf.asFloatBuffer().put(d, i, n);
        out.write(buf.array(), 0, n * Float.BYTES);
        i += n;
      }
    }
  }

  static RunState decode(InputStream raw, String source) throws IOException {
    CRC32 crc = new CRC32();
    DataInputStream in = new DataInputStream(new CheckedInputStream(raw, crc));
    try {
      byte[] magic = new byte[MAGIC.length];
      in.readFully(magic);
      if (!Arrays.equals(magic, MAGIC)) {
        throw corrupt(source, "not a Starling checkpoint (bad magic)");
      }
      int version = in.readInt();
      if (version < 1 || version > VERSION) {
        throw corrupt(source, "checkpoint format version " + version + ", this build reads 1 to " + VERSION);
      }
      int round = in.readInt();
      Map<String, String> meta = new LinkedHashMap<>();
      for (int i = 0, n = count(in, source); i < n; i++) {
        meta.put(in.readUTF(), in.readUTF());
      }
      List<String> clients = new ArrayList<>();
      for (int i = 0, n = count(in, source); i < n; i++) {
        clients.add(in.readUTF());
      }
      List<RoundRecord> history = new ArrayList<>();
      for (int i = 0, n = count(in, source); i < n; i++) {
        history.add(readRecord(in, source, version));
      }
      ParameterSet global = readTensors(in, source);
      ParameterSet state = readTensors(in, source);
      Map<String, ParameterSet> clientStates = new LinkedHashMap<>();
      if (version >= 3) {
        for (int i = 0, n = count(in, source); i < n; i++) {
          String id = in.readUTF();
          if (clientStates.put(id, readTensors(in, source)) != null) {
            throw corrupt(source, "client " + id + " has two states");
          }
        }
      }
      Optional<AsyncState> async = Optional.empty();
      if (version >= 4) {
        int flag = in.readUnsignedByte();
        if (flag > 1) {
          throw corrupt(source, "asynchronous-section flag " + flag + " (0 or 1 expected)");
        }
        if (flag == 1) {
          async = Optional.of(readAsync(in, source));
        }
      }
      long expected = crc.getValue();
      long stored = new DataInputStream(raw).readLong();
      if (stored != expected) {
        throw corrupt(source, "CRC mismatch (stored " + Long.toHexString(stored) + ", computed "
            + Long.toHexString(expected) + "): the file is corrupt");
      }
      if (raw.read() != -1) {
        throw corrupt(source, "trailing bytes after the checksum");
      }
      return new RunState(round, global, state, history, clients, meta, clientStates, async);
    } catch (EOFException e) {
      throw corrupt(source, "truncated (torn write?)");
    } catch (java.io.UTFDataFormatException e) {
      throw corrupt(source, "a name or text field is not valid modified UTF-8 (" + e.getMessage() + ")");
    } catch (IllegalArgumentException e) {
      throw corrupt(source, e.getMessage());
    }
  }

  private static int count(DataInputStream in, String source) throws IOException {
    int n = in.readInt();
    if (n < 0 || n > 10_000_000) {
      throw corrupt(source, "implausible count " + n);
    }
    return n;
  }

  private static RoundRecord readRecord(DataInputStream in, String source, int version) throws IOException {
    int round = in.readInt();
    Metrics metrics = readMetrics(in, source);
    int selected = in.readInt();
    int succeeded = in.readInt();
    List<ClientFailure> failures = new ArrayList<>();
    for (int i = 0, n = count(in, source); i < n; i++) {
      failures.add(new ClientFailure(new ClientId(in.readUTF()), ErrorCode.valueOf(in.readUTF()), in.readUTF()));
    }
    long up = in.readLong();
    long down = in.readLong();
    double seconds = in.readDouble();
    List<ClientVerdict> verdicts = new ArrayList<>();
    for (int i = 0, n = count(in, source); i < n; i++) {
      verdicts.add(new ClientVerdict(new ClientId(in.readUTF()), ClientVerdict.Action.valueOf(in.readUTF()),
          in.readDouble(), in.readUTF()));
    }
    String failureReason = version >= 2 ? in.readUTF() : "";
    return new RoundRecord(round, metrics, selected, succeeded, failures, up, down, seconds, verdicts, failureReason);
  }

  private static ParameterSet readTensors(DataInputStream in, String source) throws IOException {
    int n = count(in, source);
    List<Tensor> out = new ArrayList<>(Math.min(n, 1024));
    byte[] buf = new byte[1 << 16];
    ByteBuffer bb = ByteBuffer.wrap(buf).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < n; i++) {
      String name = in.readUTF();
      int rank = in.readInt();
      if (rank <= 0 || rank > 16) {
        throw corrupt(source, "tensor " + name + " has implausible rank " + rank);
      }
      int[] shape = new int[rank];
      long size = 1;
      for (int k = 0; k < rank; k++) {
        shape[k] = in.readInt();
        size *= shape[k];
        if (shape[k] <= 0 || size > Integer.MAX_VALUE - 8) {
          throw corrupt(source, "tensor " + name + " has implausible shape " + Arrays.toString(shape));
        }
      }
      // grow with the bytes actually present: a header that claims 2^31 values costs no 8 GiB up front
      float[] d = new float[(int) Math.min(size, buf.length / Float.BYTES)];
      for (int j = 0; j < size; ) {
        int m = (int) Math.min(buf.length / Float.BYTES, size - j);
        in.readFully(buf, 0, m * Float.BYTES);
        if (j + m > d.length) {
          d = Arrays.copyOf(d, (int) Math.min(size, Math.max(j + m, 2L * d.length)));
        }
        bb.clear();
        bb.asFloatBuffer().get(d, j, m);
        j += m;
      }
      out.add(Tensor.of(name, d, shape));
    }
    return ParameterSet.of(out);
  }

  private static FlException corrupt(String source, String what) {
    return new FlException(ErrorCode.FAILED_PRECONDITION, "checkpoint " + source + ": " + what);
  }
}
