package dev.starling.data;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.Optional;
import java.util.zip.GZIPInputStream;
import java.util.zip.ZipException;
import dev.starling.core.learner.Task;

/**
 * Loads a classification or regression {@link Dataset} from a CSV file (UTF-8, comma separated, RFC 4180 quoting,
 * surrounding spaces trimmed, blank lines skipped) through Apache Commons CSV. A name ending in
 * {@code .gz} is read as gzip.
 *
 * <p>Columns:
 * <ul>
 *   <li>label: {@link Builder#labelColumn(String)}, else the first column named {@code label},
 *       {@code target}, {@code class} or {@code y} (case-insensitive), else the last column (a label found
 *       this way with more than 100 classes is an error asking for the label column). If every label
 *       is an integer, classes are the distinct integers in numeric order (so labels {@code 0..K-1} are used
 *       as they are); otherwise the sorted distinct strings, which become {@link Dataset#classNames()}.
 *   <li>dropped: {@link Builder#dropColumns(List)} are ignored entirely (e.g. {@code id}).
 *   <li>key: {@link Builder#keyColumn(String)}, a natural partition key (hospital, station) kept as
 *       {@link Dataset#keys()} and excluded from the features.
 *   <li>features: every other column. A column whose non-missing values are all numbers is one feature.
 *       A column listed in {@link Builder#categoricalColumns(List)}, or whose values are mostly not numbers,
 *       is one-hot encoded: one feature {@code col=value} per distinct value, values sorted. A column whose
 *       values are mostly numbers but not all is an error naming the first value that is not, since that
 *       is usually a typo or an unknown missing-value marker.
 * </ul>
 * Missing values are handled as {@link Builder#missing(MissingValues)} says (default
 * {@link MissingValues#REJECT}). Every content error is a {@link DataFormatException} naming the file, the
 * 1-based physical line (header = line 1) and the column.
 *
 * <p>Instances are immutable and thread-safe. Without a header ({@code hasHeader(false)}) the columns are
 * named {@code c0..cN-1} and the label is the last column unless given.
 */
public final class CsvLoader {
  private final Optional<String> labelColumn;
  private final List<String> dropColumns;
  private final Optional<String> keyColumn;
  private final List<String> categoricalColumns;
  private final MissingValues missing;
  private final boolean hasHeader;
  private final Optional<Task> task;
  private final Optional<FeatureSchema> schema;
  private final boolean labelOptional;

  private CsvLoader(Builder b) {
    this.task = Optional.ofNullable(b.task);
    this.schema = Optional.ofNullable(b.schema);
    this.labelOptional = b.labelOptional;
    this.labelColumn = Optional.ofNullable(b.labelColumn);
    this.dropColumns = List.copyOf(b.dropColumns);
    this.keyColumn = Optional.ofNullable(b.keyColumn);
    this.categoricalColumns = List.copyOf(b.categoricalColumns);
    this.missing = b.missing;
    this.hasHeader = b.hasHeader;
  }

  /** A builder holding the defaults: label detected, no dropped, key or categorical columns, REJECT, header. */
  public static Builder builder() {
    return new Builder();
  }

  /** Loads {@code file}; gzip if its name ends in {@code .gz}. The dataset is named after the path. */
  public Dataset load(Path file) throws IOException {
    if (!Files.isRegularFile(file)) {
      throw new NoSuchFileException(file.toString(), null, "no such file");
    }
    try (InputStream in = Files.newInputStream(file)) {
      return load(in, file.toString());
    }
  }

  /**
   * Loads CSV text from {@code in} (not closed); gzip if {@code sourceName} ends in {@code .gz}.
   * {@code sourceName} names the dataset and appears in every error message.
   */
  public Dataset load(InputStream in, String sourceName) throws IOException {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(sourceName, "sourceName");
    InputStream raw = in;
    if (sourceName.toLowerCase(Locale.ROOT).endsWith(".gz")) {
      try {
        raw = new GZIPInputStream(in, 1 << 16);
      } catch (ZipException e) {
        throw new DataFormatException(sourceName + ": not a gzip file although the name ends in .gz", e);
      }
    }
    var reader = new BufferedReader(new InputStreamReader(raw, StandardCharsets.UTF_8), 1 << 16);
    RawTable table = RawTable.read(reader, sourceName, hasHeader);
    TableEncoder encoder = new TableEncoder(table, this);
    return schema.isPresent() ? encoder.encodeWith(schema.get()) : encoder.encode();
  }

  /** The label column given, or empty to detect it. */
  public Optional<String> labelColumn() {
    return labelColumn;
  }

  /** Columns ignored entirely. */
  public List<String> dropColumns() {
    return dropColumns;
  }

  /** The natural partition key column, kept as {@link Dataset#keys()}, if any. */
  public Optional<String> keyColumn() {
    return keyColumn;
  }

  /** Columns one-hot encoded even if their values are numbers. */
  public List<String> categoricalColumns() {
    return categoricalColumns;
  }

  /** The missing-value policy. */
  public MissingValues missing() {
    return missing;
  }

  /** The task the label is encoded for; empty means classification, refusing a label that looks continuous. */
  public Optional<Task> task() {
    return task;
  }

  /** A training run's schema to encode with instead of fitting the columns to this file. */
  public Optional<FeatureSchema> schema() {
    return schema;
  }

  /** With a schema: whether a file without the label column is accepted (its labels are then zeros). */
  public boolean labelOptional() {
    return labelOptional;
  }

  /** Whether the first line is a header. */
  public boolean hasHeader() {
    return hasHeader;
  }

  /** Builds a {@link CsvLoader}; setters take bare names, defaults live here. Not thread-safe. */
  public static final class Builder {
    private String labelColumn;
    private List<String> dropColumns = List.of();
    private String keyColumn;
    private List<String> categoricalColumns = List.of();
    private MissingValues missing = MissingValues.REJECT;
    private boolean hasHeader = true;
    private Task task;
    private FeatureSchema schema;
    private boolean labelOptional;

    private Builder() {}

    /**
     * The task: {@link Task#REGRESSION} reads the label as a number; {@link Task#CLASSIFICATION} maps each
     * distinct label to a class. Unset, the label is classified but refused if it looks continuous (every value
     * a number and more than 50 distinct ones, or more than 10 with a fraction), naming the column.
     */
    public Builder task(Task v) {
      task = Objects.requireNonNull(v, "task");
      return this;
    }

    /**
     * Encode with a training run's schema (from a model file): the same features in the same order, the same
     * classes; the label, key and task settings of this builder other than {@code keyColumn} are not used.
     */
    public Builder schema(FeatureSchema v) {
      schema = Objects.requireNonNull(v, "schema");
      return this;
    }

    /** With a schema: accept a file without the label column (for prediction). Default false. */
    public Builder labelOptional(boolean v) {
      labelOptional = v;
      return this;
    }

    /** The label column (exact name, or a unique case-insensitive match). */
    public Builder labelColumn(String v) {
      labelColumn = Objects.requireNonNull(v, "labelColumn");
      return this;
    }

    /** Columns to ignore; each must exist in the file. */
    public Builder dropColumns(List<String> v) {
      dropColumns = List.copyOf(v);
      return this;
    }

    /** The natural partition key column (kept as keys, not a feature). */
    public Builder keyColumn(String v) {
      keyColumn = Objects.requireNonNull(v, "keyColumn");
      return this;
    }

    /** Columns to one-hot encode whatever their values. */
    public Builder categoricalColumns(List<String> v) {
      categoricalColumns = List.copyOf(v);
      return this;
    }

    /** The missing-value policy (default {@link MissingValues#REJECT}). */
    public Builder missing(MissingValues v) {
      missing = Objects.requireNonNull(v, "missing");
      return this;
    }

    /** Whether the first line is a header (default true); without one, columns are {@code c0..cN-1}. */
    public Builder hasHeader(boolean v) {
      hasHeader = v;
      return this;
    }

    /** The immutable loader. */
    public CsvLoader build() {
      return new CsvLoader(this);
    }
  }
}
