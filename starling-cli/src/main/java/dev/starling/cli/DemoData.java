package dev.starling.cli;

import dev.starling.core.learner.Task;
import dev.starling.data.CsvLoader;
import dev.starling.data.Dataset;
import dev.starling.data.DatasetCatalog;
import dev.starling.data.MissingValues;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.zip.GZIPInputStream;

/**
 * The real data sets of {@code starling demo}: where each is looked for, where a user gets it, and how its files
 * (as distributed by their origin) become a {@link Dataset}.
 *
 * @param name the folder the set is looked for under a data directory (as in {@code shared/data})
 * @param aliases other folder names the set is found under (e.g. the name of the origin's zip folder)
 * @param files any one of these files marks the folder (the first existing one is read)
 * @param title what the set is, for messages
 * @param source where a user downloads it
 * @param bundled the file in this jar used when no data directory has the set, or null
 */
record DemoData(String name, List<String> aliases, List<String> files, String title, String source, String bundled) {

  static final DemoData HEART = new DemoData("heart-disease-by-hospital", List.of("heart-disease"),
      List.of("processed.cleveland.data"), "UCI Heart Disease, 4 hospitals (processed.{cleveland,hungarian,switzerland,va}.data)",
      "https://archive.ics.uci.edu/dataset/45/heart+disease (the four processed.*.data files)", null);
  static final DemoData LENDING = new DemoData("lending-club", List.of(), List.of("lending_club.csv.gz", "lending_club.csv"),
      "Lending Club loans Q1 2016 (R package modeldata)", "bundled in the starling-data jar; also Debian r-cran-modeldata",
      "lending_club.csv.gz");
  static final DemoData AIR = new DemoData("beijing-air-quality", List.of("PRSA_Data_20130301-20170228"),
      List.of("PRSA_Data_Aotizhongxin_20130301-20170228.csv.gz", "PRSA_Data_Aotizhongxin_20130301-20170228.csv"),
      "Beijing Multi-Site Air Quality, 12 stations (PRSA_Data_*_20130301-20170228.csv[.gz])",
      "https://archive.ics.uci.edu/dataset/501/beijing+multi+site+air+quality+data (unzip PRSA2017_Data_20130301-20170228.zip)",
      null);
  static final DemoData SHAKESPEARE = new DemoData("tiny-shakespeare", List.of("tinyshakespeare"),
      List.of(dev.starling.data.ShakespeareBySpeaker.FILE, "input.txt"),
      "Tiny Shakespeare by speaker (tiny_shakespeare_by_speaker.tsv.gz, or char-rnn's input.txt)",
      "https://github.com/karpathy/char-rnn (data/tinyshakespeare/input.txt)", null);
  static final DemoData ADULT = new DemoData("adult-income", List.of("adult"), List.of("adult.data", "adult.data.gz"),
      "UCI Adult / Census Income (adult.data)", "https://archive.ics.uci.edu/dataset/2/adult (adult.data)", null);

  /** Where the set was found: the folder and its first present file, or the bundled copy (folder null). */
  record Found(Path folder, String file) {
    /** The file's bytes as stored (still compressed for {@code .gz}). */
    InputStream openRaw() throws IOException {
      return folder == null ? DatasetCatalog.openBundled(file) : Files.newInputStream(folder.resolve(file));
    }

    /** The file's content, decompressed. */
    InputStream open() throws IOException {
      InputStream in = openRaw();
      return file.endsWith(".gz") ? new GZIPInputStream(in) : in;
    }

    /** The source's name; it ends with the file name, as CSV readers tell gzip by it. */
    String describe() {
      return folder == null ? "bundled " + file : folder.resolve(file).toString();
    }
  }

  /** The first folder in {@code dirs} that holds the set (tried as {@code dir/name}, {@code dir/alias}, {@code dir}). */
  Optional<Found> find(List<Path> dirs) {
    for (Path dir : dirs) {
      List<Path> candidates = new ArrayList<>();
      candidates.add(dir.resolve(name));
      aliases.forEach(a -> candidates.add(dir.resolve(a)));
      candidates.add(dir);
      for (Path c : candidates) {
        for (String f : files) {
          if (Files.isRegularFile(c.resolve(f))) {
            return Optional.of(new Found(c, f));
          }
        }
      }
    }
    return bundled == null ? Optional.empty() : Optional.of(new Found(null, bundled));
  }

  /** The message of a missing set, naming it, the folders searched, the flag and where to get it. */
  String missing(String demo, List<Path> dirs) {
    return "demo " + demo + " needs the data set '" + name + "' (" + title + "): looked for " + name + "/"
        + String.join(" or ", files) + " in " + (dirs.isEmpty() ? "no directories" : dirs.toString())
        + "; pass --data-dir DIR (or set STARLING_DATA=DIR) where DIR holds " + name + "/. Get it from " + source;
  }

  private static final String[] HEART_COLUMNS = {"age", "sex", "cp", "trestbps", "chol", "fbs", "restecg", "thalach",
      "exang", "oldpeak", "slope", "ca", "thal", "num"};
  static final List<String> HOSPITALS = List.of("cleveland", "hungarian", "switzerland", "va");

  /**
   * The four hospitals' UCI files as one binary data set: label {@code num > 0} (heart disease), key {@code hospital};
   * {@code slope}, {@code ca} and {@code thal} are dropped (missing for most patients outside Cleveland), other missing
   * values ({@code ?}) take the column mean.
   */
  static Dataset heart(Found f) throws IOException {
    StringBuilder csv = new StringBuilder("hospital,").append(String.join(",", HEART_COLUMNS)).append('\n');
    for (String h : HOSPITALS) {
      Path file = f.folder().resolve("processed." + h + ".data");
      if (!Files.isRegularFile(file)) {
        throw new java.io.FileNotFoundException(file + ": missing (the heart disease set has one file per hospital: "
            + "processed.{" + String.join(",", HOSPITALS) + "}.data)");
      }
      for (String line : Files.readAllLines(file, StandardCharsets.US_ASCII)) {
        if (!line.isBlank()) {
          csv.append(h).append(',').append(line.strip()).append('\n');
        }
      }
    }
    Dataset raw = CsvLoader.builder().labelColumn("num").keyColumn("hospital").dropColumns(List.of("slope", "ca", "thal"))
        .missing(MissingValues.MEAN_IMPUTE).build()
        .load(new ByteArrayInputStream(csv.toString().getBytes(StandardCharsets.UTF_8)), f.folder() + "/processed.*.data");
    int[] y = new int[raw.size()];
    for (int i = 0; i < y.length; i++) {
      y[i] = raw.classNames().get(raw.label(i)).equals("0") ? 0 : 1;
    }
    return Dataset.builder().name("heart disease by hospital").features(raw.features()).labels(y)
        .numFeatures(raw.numFeatures()).numClasses(2).featureNames(raw.featureNames())
        .classNames(List.of("no disease", "disease")).keys("hospital", raw.keys().orElseThrow()).task(Task.CLASSIFICATION)
        .build();
  }

  /** Lending Club: label {@code Class} (bad, good), key {@code addr_state}. */
  static Dataset lending(Found f) throws IOException {
    try (InputStream in = f.openRaw()) { // CsvLoader reads .gz by the name
      return CsvLoader.builder().labelColumn("Class").keyColumn("addr_state").build().load(in, f.describe())
          .withName("lending club");
    }
  }

  /** Adult: label {@code income}; {@code fnlwgt} (a census weight) and {@code education} (coded again as a number) dropped. */
  static Dataset adult(Found f) throws IOException {
    String header = "age,workclass,fnlwgt,education,education-num,marital-status,occupation,relationship,race,sex,"
        + "capital-gain,capital-loss,hours-per-week,native-country,income\n";
    byte[] body;
    try (InputStream in = f.open()) {
      body = in.readAllBytes();
    }
    InputStream all = new java.io.SequenceInputStream(new ByteArrayInputStream(header.getBytes(StandardCharsets.UTF_8)),
        new ByteArrayInputStream(body));
    return CsvLoader.builder().labelColumn("income").dropColumns(List.of("fnlwgt", "education"))
        .missing(MissingValues.MEAN_IMPUTE).build().load(all, f.describe() + " (with a header line)").withName("adult income");
  }

  /**
   * Char-rnn's {@code input.txt} as the by-speaker TSV that {@link dev.starling.data.ShakespeareBySpeaker} reads: blocks
   * separated by blank lines, a block whose first line ends with {@code :} is a speech by that name (headings without
   * text are dropped), as {@code shared/data/tiny-shakespeare/README.md} derives its file.
   */
  static byte[] speechesTsv(String text) {
    StringBuilder tsv = new StringBuilder("turn\tspeaker\ttext\n");
    int turn = 0;
    for (String block : text.replace("\r\n", "\n").split("\n\\s*\n")) {
      String b = block.strip();
      int nl = b.indexOf('\n');
      if (nl < 0 || !b.substring(0, nl).endsWith(":")) {
        continue;
      }
      String speaker = b.substring(0, nl - 1).strip();
      String speech = b.substring(nl + 1);
      tsv.append(turn++).append('\t').append(escape(speaker)).append('\t').append(escape(speech)).append('\n');
    }
    return tsv.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static String escape(String s) {
    return s.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n");
  }
}
