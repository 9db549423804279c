package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeSet;
import java.util.zip.GZIPInputStream;

/**
 * Tiny Shakespeare split by speaker (the keyboard scenario: one client per role, naturally non-IID, as LEAF's
 * Shakespeare) as a next-character {@link Dataset} of token ids, read from {@code tiny_shakespeare_by_speaker.tsv.gz}
 * (gzip TSV, header {@code turn, speaker, text}, one speech a row; backslash, tab and newline escaped as
 * {@code \\}, {@code \t}, {@code \n}).
 *
 * <p>Each speaker's speeches are joined with a newline, in file order. Every position {@code i >= context} of that
 * text is one row: features the previous {@code context} characters as token ids (floats, oldest first; feature
 * names {@code t-CONTEXT .. t-1}), label the character at {@code i}; the vocabulary is the distinct characters of
 * the kept speakers in code-point order. Rows carry the speaker as natural partition key ({@code speaker}). The
 * first {@code 1 - testFraction} of each speaker's rows are train, the rest test (text order, like LEAF). Unlike
 * {@link TextCorpus} (one-hot windows for the built-in learners) the features are ids, for embedding models.
 * Stateless.
 */
public final class ShakespeareBySpeaker {
  /** The file name the data set is distributed under. */
  public static final String FILE = "tiny_shakespeare_by_speaker.tsv.gz";

  /**
   * What to read.
   *
   * @param context characters of context per row (LEAF: 80)
   * @param minRows speakers with fewer rows are dropped (LEAF drops clients with fewer than 64 samples)
   * @param maxSpeakers keep only the this many largest speakers (by characters; ties by name); 0 = all
   * @param maxCharsPerSpeaker keep at most this many characters of each speaker's text (the first ones); 0 = all
   * @param testFraction share of each speaker's rows (the last ones) held out, in [0, 1)
   */
  public record Options(int context, int minRows, int maxSpeakers, int maxCharsPerSpeaker, double testFraction) {
    public Options {
      Checks.checkPositive(context, "context");
      Checks.checkNonNegative(minRows, "minRows");
      Checks.checkNonNegative(maxSpeakers, "maxSpeakers");
      Checks.checkNonNegative(maxCharsPerSpeaker, "maxCharsPerSpeaker");
      Checks.checkArgument(testFraction >= 0 && testFraction < 1, "testFraction", "in [0, 1)", testFraction);
    }

    /** LEAF's settings: 80 characters of context, speakers with at least 64 rows, all of them, 20 % test. */
    public static Options leaf() {
      return new Options(80, 64, 0, 0, 0.2);
    }
  }

  private ShakespeareBySpeaker() {}

  /**
   * Reads {@code file} ({@code .gz} or plain TSV).
   *
   * @throws DataFormatException naming the file and line for a malformed row, or if no speaker is left
   */
  public static LoadedData load(Path file, Options options) throws IOException {
    try (InputStream in = Files.newInputStream(file)) {
      return load(file.toString().endsWith(".gz") ? new GZIPInputStream(in) : in, file.toString(), options);
    }
  }

  /** As {@link #load(Path, Options)} from an uncompressed stream; {@code source} names it in messages. */
  public static LoadedData load(InputStream tsv, String source, Options options) throws IOException {
    Map<String, StringBuilder> bySpeaker = new LinkedHashMap<>();
    BufferedReader r = new BufferedReader(new InputStreamReader(tsv, StandardCharsets.UTF_8));
    String header = r.readLine();
    if (header == null || !header.equals("turn\tspeaker\ttext")) {
      throw new DataFormatException(source + ", line 1: expected the header 'turn<TAB>speaker<TAB>text', got '"
          + header + "'");
    }
    int lineNo = 1;
    for (String line = r.readLine(); line != null; line = r.readLine()) {
      lineNo++;
      if (line.isEmpty()) {
        continue;
      }
      String[] f = line.split("\t", -1);
      if (f.length != 3) {
        throw new DataFormatException(source + ", line " + lineNo + ": expected 3 tab-separated fields, got " + f.length);
      }
      String speaker = unescape(f[1], source, lineNo);
      if (speaker.isBlank()) {
        throw new DataFormatException(source + ", line " + lineNo + ", column speaker: empty speaker name");
      }
      StringBuilder sb = bySpeaker.computeIfAbsent(speaker, k -> new StringBuilder());
      if (!sb.isEmpty()) {
        sb.append('\n');
      }
      sb.append(unescape(f[2], source, lineNo));
    }
    List<Map.Entry<String, StringBuilder>> speakers = new ArrayList<>(bySpeaker.entrySet());
    if (options.maxCharsPerSpeaker() > 0) {
      for (Map.Entry<String, StringBuilder> e : speakers) {
        if (e.getValue().length() > options.maxCharsPerSpeaker()) {
          e.getValue().setLength(options.maxCharsPerSpeaker());
        }
      }
    }
    speakers.removeIf(e -> e.getValue().length() - options.context() < Math.max(1, options.minRows()));
    if (options.maxSpeakers() > 0 && speakers.size() > options.maxSpeakers()) {
      speakers.sort(Comparator.<Map.Entry<String, StringBuilder>>comparingInt(e -> -e.getValue().length())
          .thenComparing(Map.Entry::getKey));
      speakers = new ArrayList<>(speakers.subList(0, options.maxSpeakers()));
    }
    if (speakers.isEmpty()) {
      throw new DataFormatException(source + ": no speaker has at least " + Math.max(1, options.minRows())
          + " rows of " + options.context() + " characters of context");
    }
    TreeSet<Character> distinct = new TreeSet<>();
    for (Map.Entry<String, StringBuilder> e : speakers) {
      e.getValue().chars().forEach(c -> distinct.add((char) c));
    }
    char[] vocab = new char[distinct.size()];
    int v = 0;
    for (char c : distinct) {
      vocab[v++] = c;
    }
    Rows train = new Rows();
    Rows test = new Rows();
    int ctx = options.context();
    for (Map.Entry<String, StringBuilder> e : speakers) {
      String text = e.getValue().toString();
      int[] ids = new int[text.length()];
      for (int i = 0; i < ids.length; i++) {
        ids[i] = Arrays.binarySearch(vocab, text.charAt(i));
      }
      int rows = ids.length - ctx;
      int held = (int) Math.round(rows * options.testFraction());
      for (int row = 0; row < rows; row++) {
        (row < rows - held ? train : test).add(ids, row, ctx, e.getKey());
      }
    }
    List<String> classes = new ArrayList<>(vocab.length);
    for (char c : vocab) {
      classes.add(TextCorpus.display(c));
    }
    List<String> features = new ArrayList<>(ctx);
    for (int k = 0; k < ctx; k++) {
      features.add("t-" + (ctx - k));
    }
    Dataset tr = train.build("tiny-shakespeare by speaker (train)", ctx, classes, features);
    Dataset te = test.build("tiny-shakespeare by speaker (test)", ctx, classes, features);
    String desc = String.format(Locale.ROOT, "%s: %d speakers, %d characters of context (token ids), vocabulary %d,"
        + " next-token; last %s of each speaker's text as test: %d train / %d test", source, speakers.size(), ctx,
        vocab.length, options.testFraction(), tr.size(), te.size());
    return new LoadedData(tr, te, desc);
  }

  private static String unescape(String s, String source, int line) throws DataFormatException {
    if (s.indexOf('\\') < 0) {
      return s;
    }
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c != '\\') {
        sb.append(c);
        continue;
      }
      if (++i == s.length()) {
        throw new DataFormatException(source + ", line " + line + ": a lone backslash at the end of a field");
      }
      char n = s.charAt(i);
      sb.append(switch (n) {
        case 'n' -> '\n';
        case 't' -> '\t';
        case '\\' -> '\\';
        default -> throw new DataFormatException(source + ", line " + line + ": unknown escape '\\" + n + "'");
      });
    }
    return sb.toString();
  }

  /** Growing row buffers. */
  private static final class Rows {
    private float[] x = new float[1024];
    private int[] y = new int[64];
    private final List<String> keys = new ArrayList<>();
    private int n;

    void add(int[] ids, int row, int ctx, String key) {
      if ((long) (n + 1) * ctx > x.length) {
        x = Arrays.copyOf(x, Math.toIntExact(Math.max((long) (n + 1) * ctx, 2L * x.length)));
      }
      if (n == y.length) {
        y = Arrays.copyOf(y, 2 * n);
      }
      for (int k = 0; k < ctx; k++) {
        x[n * ctx + k] = ids[row + k];
      }
      y[n] = ids[row + ctx];
      keys.add(key);
      n++;
    }

    Dataset build(String name, int ctx, List<String> classes, List<String> features) {
      return Dataset.builder().name(name).features(Arrays.copyOf(x, n * ctx)).labels(Arrays.copyOf(y, n))
          .numFeatures(ctx).numClasses(classes.size()).classNames(classes).featureNames(features)
          .keys("speaker", keys.toArray(String[]::new)).task(Task.NEXT_TOKEN).build();
    }
  }
}
