package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.learner.Task;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.apache.commons.csv.CSVFormat;
import org.apache.commons.csv.CSVParser;
import org.apache.commons.csv.CSVRecord;

/**
 * The Beijing Multi-Site Air Quality data (UCI; Zhang et al. 2017) as a PM2.5 regression {@link Dataset} with one
 * natural partition key per monitoring station ({@code station}), read from a folder of the distributed files
 * {@code PRSA_Data_<Station>_20130301-20170228.csv[.gz]} (one station each; header {@code No, year, month, day,
 * hour, PM2.5, PM10, SO2, NO2, CO, O3, TEMP, PRES, DEWP, RAIN, wd, WSPM, station}; missing values {@code NA}).
 *
 * <p>Target: {@code PM2.5} in ug/m^3 (raw; standardise with {@link Standardizer}). Features ({@value #FEATURES}):
 * the other pollutants (PM10, SO2, NO2, CO, O3), the weather (TEMP, PRES, DEWP, RAIN, WSPM), the hour and the month
 * as sine and cosine, and the wind direction one-hot over the 16 compass points. Rows with a missing value in any of
 * these columns are dropped. Split by time: rows from {@code testFrom} (year, month) on are the test set, the earlier
 * ones train, so the test asks for the future of every station. Stateless.
 */
public final class BeijingAirQuality {
  /** The file name pattern, {@code PRSA_Data_<Station>_<range>.csv[.gz]}. */
  public static final String FILE_GLOB = "PRSA_Data_*.csv*";
  /** Number of features. */
  public static final int FEATURES = 30;
  private static final String[] NUMERIC = {"PM10", "SO2", "NO2", "CO", "O3", "TEMP", "PRES", "DEWP", "RAIN", "WSPM"};
  private static final String[] WIND = {"N", "NNE", "NE", "ENE", "E", "ESE", "SE", "SSE", "S", "SSW", "SW", "WSW", "W",
      "WNW", "NW", "NNW"};
  private static final String TARGET = "PM2.5";

  /**
   * What to read.
   *
   * @param testFromYear first year of the test period (with {@code testFromMonth}); the data end in February 2017
   * @param testFromMonth its first month, 1-12
   * @param stride keep every {@code stride}-th hour of each station (1 = all), for small budgets
   * @param maxStations read only the first this many station files (in name order); 0 = all
   */
  public record Options(int testFromYear, int testFromMonth, int stride, int maxStations) {
    public Options {
      Checks.checkArgument(testFromMonth >= 1 && testFromMonth <= 12, "testFromMonth", "in 1..12", testFromMonth);
      Checks.checkPositive(stride, "stride");
      Checks.checkNonNegative(maxStations, "maxStations");
    }

    /** The last year (March 2016 to February 2017) as test, every hour, every station. */
    public static Options lastYear() {
      return new Options(2016, 3, 1, 0);
    }
  }

  private BeijingAirQuality() {}

  /**
   * Reads every station file in {@code dir}.
   *
   * @throws java.io.FileNotFoundException if {@code dir} holds no {@code PRSA_Data_*.csv[.gz]} file
   * @throws DataFormatException naming file, line and column for a malformed value or a missing column
   */
  public static LoadedData load(Path dir, Options options) throws IOException {
    List<Path> files = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir, FILE_GLOB)) {
      ds.forEach(files::add);
    }
    files.sort(null);
    if (files.isEmpty()) {
      throw new java.io.FileNotFoundException(dir + ": no Beijing air-quality files (" + FILE_GLOB + ")");
    }
    if (options.maxStations() > 0 && files.size() > options.maxStations()) {
      files = files.subList(0, options.maxStations());
    }
    Rows train = new Rows();
    Rows test = new Rows();
    for (Path f : files) {
      try (InputStream raw = Files.newInputStream(f);
          InputStream in = f.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw) {
        read(in, f.getFileName().toString(), options, train, test);
      }
    }
    List<String> names = featureNames();
    Dataset tr = train.build("beijing-air-quality PM2.5 (train)", names);
    Dataset te = test.build("beijing-air-quality PM2.5 (test)", names);
    String desc = String.format(Locale.ROOT, "beijing-air-quality (%s): %d stations, %d features, PM2.5 regression;"
        + " test from %d-%02d: %d train / %d test", dir, files.size(), FEATURES, options.testFromYear(),
        options.testFromMonth(), tr.size(), te.size());
    return new LoadedData(tr, te, desc);
  }

  /** Reads one station's CSV from {@code in}; {@code source} names it in messages. */
  static void read(InputStream in, String source, Options options, Rows train, Rows test) throws IOException {
    Reader reader = new InputStreamReader(in, StandardCharsets.UTF_8);
    CSVFormat format = CSVFormat.DEFAULT.builder().setHeader().setSkipHeaderRecord(true).build();
    try (CSVParser p = CSVParser.parse(reader, format)) {
      Map<String, Integer> header = p.getHeaderMap();
      for (String c : columns()) {
        if (!header.containsKey(c)) {
          throw new DataFormatException(source + ", line 1: missing column '" + c + "'");
        }
      }
      long row = 0;
      for (CSVRecord rec : p) {
        long line = rec.getRecordNumber() + 1;
        if (row++ % options.stride() != 0) {
          continue;
        }
        if (anyMissing(rec)) {
          continue;
        }
        float[] x = new float[FEATURES];
        for (int k = 0; k < NUMERIC.length; k++) {
          x[k] = number(rec, NUMERIC[k], source, line);
        }
        int hour = (int) number(rec, "hour", source, line);
        int month = (int) number(rec, "month", source, line);
        int year = (int) number(rec, "year", source, line);
        x[10] = (float) Math.sin(2 * Math.PI * hour / 24);
        x[11] = (float) Math.cos(2 * Math.PI * hour / 24);
        x[12] = (float) Math.sin(2 * Math.PI * (month - 1) / 12);
        x[13] = (float) Math.cos(2 * Math.PI * (month - 1) / 12);
        int wd = Arrays.asList(WIND).indexOf(rec.get("wd").trim());
        if (wd < 0) {
          throw new DataFormatException(source + ", line " + line + ", column wd: '" + rec.get("wd")
              + "' is not one of the 16 compass points " + String.join(" ", WIND));
        }
        x[14 + wd] = 1f;
        String station = rec.get("station").trim();
        boolean isTest = year > options.testFromYear()
            || (year == options.testFromYear() && month >= options.testFromMonth());
        (isTest ? test : train).add(x, number(rec, TARGET, source, line), station);
      }
    }
  }

  private static boolean anyMissing(CSVRecord rec) {
    for (String c : columns()) {
      String v = rec.get(c).trim();
      if (v.isEmpty() || v.equals("NA")) {
        return true;
      }
    }
    return false;
  }

  private static List<String> columns() {
    List<String> c = new ArrayList<>(List.of(NUMERIC));
    c.addAll(List.of("year", "month", "hour", "wd", "station", TARGET));
    return c;
  }

  private static float number(CSVRecord rec, String column, String source, long line) throws DataFormatException {
    String v = rec.get(column).trim();
    try {
      float f = Float.parseFloat(v);
      if (!Float.isFinite(f)) {
        throw new NumberFormatException();
      }
      return f;
    } catch (NumberFormatException e) {
      throw new DataFormatException(source + ", line " + line + ", column " + column + ": '" + v
          + "' is not a finite number");
    }
  }

  static List<String> featureNames() {
    List<String> n = new ArrayList<>(List.of(NUMERIC));
    n.addAll(List.of("hour_sin", "hour_cos", "month_sin", "month_cos"));
    for (String w : WIND) {
      n.add("wd=" + w);
    }
    return n;
  }

  /** Growing row buffers. */
  static final class Rows {
    private float[] x = new float[FEATURES * 256];
    private float[] y = new float[256];
    private final List<String> keys = new ArrayList<>();
    private int n;

    void add(float[] row, float target, String key) {
      if (n == y.length) {
        y = Arrays.copyOf(y, 2 * n);
        x = Arrays.copyOf(x, 2 * n * FEATURES);
      }
      System.arraycopy(row, 0, x, n * FEATURES, FEATURES);
      y[n] = target;
      keys.add(key);
      n++;
    }

    Dataset build(String name, List<String> names) {
      return Dataset.builder().name(name).features(Arrays.copyOf(x, n * FEATURES)).targets(Arrays.copyOf(y, n))
          .numFeatures(FEATURES).numClasses(1).featureNames(names).keys("station", keys.toArray(String[]::new))
          .task(Task.REGRESSION).build();
    }
  }
}
