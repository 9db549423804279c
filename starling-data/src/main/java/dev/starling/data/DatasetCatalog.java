package dev.starling.data;

import dev.starling.core.random.RandomSource;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import dev.starling.core.learner.Task;

/**
 * Resolves a dataset spec, as a user types it, to training and test data.
 *
 * <p>Specs (see {@link #describeBuiltins()}):
 * <ul>
 *   <li>{@code digits}: bundled 8x8 handwritten digits, 1,797 rows, pixel counts divided by 16.
 *   <li>{@code breast-cancer}: bundled WDBC, 456 rows, 30 raw features ({@code id} dropped, label {@code target}).
 *   <li>{@code mnist}: folder {@code mnist-10k/} (8,000 MNIST digits as IDX) in one of the search dirs.
 *   <li>{@code fashion-mnist}: folder {@code fashion-mnist/} in one of the search dirs; has its own test split.
 *   <li>{@code shakespeare}: {@link ShakespeareBySpeaker} from {@code tiny-shakespeare/} in a search dir (LEAF settings).
 *   <li>{@code beijing-air}: {@link BeijingAirQuality} from {@code beijing-air-quality/} in a search dir.
 *   <li>a path to a {@code .csv} or {@code .csv.gz} file, loaded by {@link CsvLoader} with the CSV options.
 *   <li>a path to a folder with one IDX image file and one IDX label file (and optionally a {@code t10k}/
 *       {@code test} pair, used as the test split), loaded by {@link IdxLoader}.
 * </ul>
 * Datasets without their own test split get {@link Splits#stratifiedHoldout} with the options' test fraction
 * and {@code RandomSource.seeded(seed)}. The CSV options are ignored for the named datasets.
 *
 * <p>Stateless and thread-safe. Bundled data and README: {@code dev/starling/data/} in this jar.
 */
public final class DatasetCatalog {
  private record Builtin(String name, String description) {}

  private static final List<Builtin> BUILTINS = List.of(
      new Builtin("digits", "8x8 handwritten digits (UCI optdigits via scikit-learn), bundled: 1797 rows, 64 features, 10 classes"),
      new Builtin("breast-cancer", "Breast Cancer Wisconsin (Diagnostic), bundled: 456 rows, 30 features, 2 classes"),
      new Builtin("mnist", "MNIST 28x28 digits, 8000 rows (needs mnist-10k/ in a --data-dir), 784 features, 10 classes"),
      new Builtin("fashion-mnist", "Fashion-MNIST 28x28, 60000 train + 10000 test (needs fashion-mnist/ in a --data-dir)"),
      new Builtin("credit-amount", "credit scoring: regression of the loan Amount, bundled: 4039 complete rows, 22 features"),
      new Builtin("persuasion", "Jane Austen's Persuasion, 30k characters, bundled: next-character prediction"),
      new Builtin("shakespeare", "tiny-shakespeare by speaker (needs tiny-shakespeare/" + ShakespeareBySpeaker.FILE
          + " in a --data-dir): next character from 80 as token ids, key speaker"),
      new Builtin("beijing-air", "Beijing air quality, 12 stations (needs beijing-air-quality/ in a --data-dir):"
          + " PM2.5 regression, 30 features, key station, last year as test"));

  /** Characters of context of the text datasets. */
  public static final int TEXT_CONTEXT = 6;

  private static final List<String> FASHION_CLASSES = List.of("T-shirt/top", "Trouser", "Pullover", "Dress", "Coat",
      "Sandal", "Shirt", "Sneaker", "Bag", "Ankle boot");

  private DatasetCatalog() {}

  /** The names of the built-in datasets. */
  public static List<String> builtinNames() {
    return BUILTINS.stream().map(Builtin::name).toList();
  }

  /** One line per built-in dataset: its name, then a one-line description. */
  public static String describeBuiltins() {
    StringBuilder sb = new StringBuilder();
    for (Builtin b : BUILTINS) {
      sb.append(String.format(Locale.ROOT, "  %-14s %s%n", b.name(), b.description()));
    }
    return sb.toString();
  }

  /**
   * Loads the dataset {@code spec} names (a built-in name, case-insensitive, or a path) and splits it.
   *
   * @throws IllegalArgumentException if {@code spec} is neither a built-in name nor an existing path
   * @throws FileNotFoundException if a named dataset is not in any search dir, or a path does not exist
   * @throws DataFormatException if the data is malformed
   */
  public static LoadedData resolve(String spec, CatalogOptions options) throws IOException {
    if (SyntheticFedProx.matches(spec)) { // synthetic:ALPHA,BETA[,DEVICES]: generated, own per-device split
      return SyntheticFedProx.resolve(spec, options.seed());
    }
    return switch (spec.trim().toLowerCase(Locale.ROOT)) {
      case "digits" -> holdout(digits(), "digits (bundled)", options);
      case "breast-cancer" -> holdout(breastCancer(), "breast-cancer (bundled)", options);
      case "mnist" -> mnist(options);
      case "fashion-mnist" -> fashionMnist(options);
      case "credit-amount" -> holdout(creditAmount(), "credit-amount (bundled)", options);
      case "persuasion" -> TextCorpus.split(TextCorpus.nextCharacter(text(resource("persuasion.txt.gz")), TEXT_CONTEXT,
          true, "persuasion"), options.testFraction(), "persuasion (bundled)");
      case "shakespeare" -> ShakespeareBySpeaker.load(
          find("shakespeare", "tiny-shakespeare", List.of(ShakespeareBySpeaker.FILE), options)
              .resolve(ShakespeareBySpeaker.FILE), ShakespeareBySpeaker.Options.leaf());
      case "beijing-air" -> BeijingAirQuality.load(find("beijing-air", "beijing-air-quality",
          List.of("PRSA_Data_Aotizhongxin_20130301-20170228.csv.gz"), options), BeijingAirQuality.Options.lastYear());
      default -> fromPath(spec, options);
    };
  }

  private static Dataset digits() throws IOException {
    Dataset raw;
    try (InputStream in = resource("digits.csv.gz")) {
      raw = CsvLoader.builder().hasHeader(false).build().load(in, "digits.csv.gz");
    }
    float[] x = raw.features().clone();
    for (int i = 0; i < x.length; i++) {
      x[i] /= 16f;
    }
    List<String> names = new ArrayList<>(64);
    for (int i = 0; i < 64; i++) {
      names.add("r" + i / 8 + "c" + i % 8);
    }
    return rebuild(raw, "digits", x, names, raw.classNames());
  }

  private static Dataset breastCancer() throws IOException {
    try (InputStream in = resource("wdbc_train.csv")) {
      Dataset raw = CsvLoader.builder().labelColumn("target").dropColumns(List.of("id")).build()
          .load(in, "wdbc_train.csv");
      return rebuild(raw, "breast-cancer", raw.features(), raw.featureNames(), List.of("malignant", "benign"));
    }
  }

  private static Dataset creditAmount() throws IOException {
    try (InputStream in = resource("credit_data.csv.gz")) {
      return CsvLoader.builder().labelColumn("Amount").task(Task.REGRESSION).missing(MissingValues.DROP_ROW).build()
          .load(in, "credit_data.csv.gz").withName("credit-amount");
    }
  }

  private static String text(InputStream in) throws IOException {
    try (InputStream gz = new java.util.zip.GZIPInputStream(in)) {
      return new String(gz.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  private static LoadedData mnist(CatalogOptions options) throws IOException {
    String images = "mnist-train8k-images-idx3-ubyte.gz";
    String labels = "mnist-train8k-labels-idx1-ubyte.gz";
    Path dir = find("mnist", "mnist-10k", List.of(images, labels), options);
    Dataset d = IdxLoader.load(dir.resolve(images), dir.resolve(labels)).withName("mnist");
    return holdout(d, "mnist (" + dir + ")", options);
  }

  private static LoadedData fashionMnist(CatalogOptions options) throws IOException {
    String[] files = {"train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz", "t10k-images-idx3-ubyte.gz",
        "t10k-labels-idx1-ubyte.gz"};
    Path dir = find("fashion-mnist", "fashion-mnist", List.of(files), options);
    Dataset train = IdxLoader.load(dir.resolve(files[0]), dir.resolve(files[1]));
    Dataset test = IdxLoader.load(dir.resolve(files[2]), dir.resolve(files[3]));
    train = rebuild(train, "fashion-mnist (train)", train.features(), train.featureNames(), FASHION_CLASSES);
    test = rebuild(test, "fashion-mnist (test)", test.features(), test.featureNames(), FASHION_CLASSES);
    return ownSplit(train, test, "fashion-mnist (" + dir + ")");
  }

  private static LoadedData fromPath(String spec, CatalogOptions options) throws IOException {
    Path p;
    try {
      p = Path.of(spec);
    } catch (InvalidPathException e) {
      throw unknown(spec);
    }
    String lower = spec.toLowerCase(Locale.ROOT);
    if (Files.isDirectory(p)) {
      IdxDirectory idx = IdxDirectory.scan(p);
      Dataset train = IdxLoader.load(idx.train().images(), idx.train().labels()).withName(p.toString());
      if (idx.test().isPresent()) {
        Dataset test = IdxLoader.load(idx.test().get().images(), idx.test().get().labels());
        return ownSplit(train.withName(p + " (train)"), test.withName(p + " (test)"), p + " (IDX)");
      }
      return holdout(train, p + " (IDX)", options);
    }
    boolean csv = lower.endsWith(".csv") || lower.endsWith(".csv.gz");
    boolean txt = lower.endsWith(".txt") || lower.endsWith(".txt.gz");
    if (Files.isRegularFile(p) && txt) {
      if (options.task().isPresent() && options.task().get() != Task.NEXT_TOKEN) {
        throw new DataFormatException(spec + ": a text file is read for --task next-token, not " + options.task().get());
      }
      String content;
      try (InputStream in = Files.newInputStream(p)) {
        content = lower.endsWith(".gz") ? text(in) : new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
      }
      return TextCorpus.split(TextCorpus.nextCharacter(content, TEXT_CONTEXT, true, p.toString()), options.testFraction(),
          p + " (text)");
    }
    if (Files.isRegularFile(p)) {
      if (!csv) {
        throw new DataFormatException(spec + ": unsupported file type; expected a .csv or .csv.gz file, a .txt file"
            + " (next-token), or a folder"
            + " with IDX files");
      }
      return holdout(options.csvLoader().load(p), p + " (CSV)", options);
    }
    if (csv || spec.contains("/") || spec.contains(p.getFileSystem().getSeparator())) {
      throw new FileNotFoundException(spec + ": no such file or directory");
    }
    throw unknown(spec);
  }

  private static IllegalArgumentException unknown(String spec) {
    return new IllegalArgumentException("unknown dataset '" + spec + "'. Built-in datasets:"
        + System.lineSeparator() + describeBuiltins()
        + "or give a path to a .csv/.csv.gz file or to a folder with IDX files");
  }

  /** The first {@code searchDir/folder} (or {@code searchDir} itself) that holds all {@code files}. */
  private static Path find(String name, String folder, List<String> files, CatalogOptions options)
      throws FileNotFoundException {
    for (Path dir : options.searchDirs()) {
      for (Path candidate : List.of(dir.resolve(folder), dir)) {
        if (files.stream().allMatch(f -> Files.isRegularFile(candidate.resolve(f)))) {
          return candidate;
        }
      }
    }
    throw new FileNotFoundException("dataset '" + name + "' not found: looked for " + folder + "/"
        + String.join(", ", files) + " in " + (options.searchDirs().isEmpty() ? "no search directories"
            : options.searchDirs().toString()) + "; pass --data-dir DIR where DIR holds " + folder + "/");
  }

  private static LoadedData holdout(Dataset d, String source, CatalogOptions options) {
    Split s = Splits.stratifiedHoldout(d, options.testFraction(), RandomSource.seeded(options.seed()));
    Dataset train = s.train().withName(d.name() + " (train)");
    Dataset test = s.test().withName(d.name() + " (test)");
    String desc = String.format(Locale.ROOT, "%s: %d rows, %d features, %s; %s holdout %s"
            + " (seed %d): %d train / %d test", source, d.size(), d.numFeatures(),
        d.task() == Task.REGRESSION ? "regression" : d.numClasses() + " classes",
        d.task() == Task.REGRESSION ? "random" : "stratified",
        options.testFraction(), options.seed(), train.size(), test.size());
    return new LoadedData(train, test, desc);
  }

  private static LoadedData ownSplit(Dataset train, Dataset test, String source) {
    String desc = String.format(Locale.ROOT, "%s: %d features, %d classes; own test split: %d train / %d test",
        source, train.numFeatures(), train.numClasses(), train.size(), test.size());
    return new LoadedData(train, test, desc);
  }

  /**
   * Opens a data file bundled in this jar under {@code dev/starling/data/} (see its README), e.g.
   * {@code lending_club.csv.gz}; the caller closes it.
   *
   * @throws FileNotFoundException if no such file is bundled
   */
  public static InputStream openBundled(String file) throws FileNotFoundException {
    return resource(file);
  }

  private static InputStream resource(String name) throws FileNotFoundException {
    InputStream in = DatasetCatalog.class.getResourceAsStream(name);
    if (in == null) {
      throw new FileNotFoundException("bundled resource dev/starling/data/" + name + " missing from the classpath");
    }
    return in;
  }

  private static Dataset rebuild(Dataset d, String name, float[] x, List<String> featureNames,
      List<String> classNames) {
    return Dataset.builder().name(name).features(x).labels(d.labels()).numFeatures(d.numFeatures())
        .numClasses(d.numClasses()).featureNames(featureNames).classNames(classNames)
        .keys(d.keyName().orElse(null), d.keys().orElse(null)).schema(x == d.features() ? d.schema().orElse(null) : null).build();
  }
}
