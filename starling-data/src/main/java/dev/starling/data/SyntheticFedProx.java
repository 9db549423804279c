package dev.starling.data;

import dev.starling.core.error.Checks;
import dev.starling.core.random.RandomSource;
import java.util.Locale;
import java.util.Objects;

/**
 * The Synthetic(alpha, beta) federated dataset of Li, Sahu, Zaheer, Sanjabi, Talwalkar and Smith, "Federated
 * Optimization in Heterogeneous Networks" (FedProx, MLSys 2020), Section 5.1, following the authors' generator
 * {@code data/synthetic_1_1/generate_synthetic.py} in {@code github.com/litian96/FedProx}.
 *
 * <p>For each device {@code k} (30 in the paper), with 60 features and 10 classes:
 * <ul>
 *   <li>{@code n_k = floor(exp(4 + 2 z)) + 50} samples, {@code z ~ N(0, 1)}: the reference's
 *       {@code np.random.lognormal(4, 2).astype(int) + 50}, so every device has at least {@value #MIN_SAMPLES}
 *       rows and the counts are heavy-tailed (median about 105, mean about 453);
 *   <li>{@code u_k ~ N(0, alpha)} and {@code B_k ~ N(0, beta)}, where, as in the reference's
 *       {@code np.random.normal}, alpha and beta are standard deviations;
 *   <li>{@code W_k} (10 x 60) and {@code b_k} (10) with entries {@code ~ N(u_k, 1)} (the reference uses the same
 *       {@code u_k} as the mean of both);
 *   <li>{@code v_k} (60) with entries {@code ~ N(B_k, 1)};
 *   <li>rows {@code x ~ N(v_k, Sigma)}, {@code Sigma} diagonal with {@code Sigma_jj = j^-1.2}, {@code j = 1..60};
 *   <li>label {@code y = argmax softmax(W_k x + b_k) = argmax (W_k x + b_k)}, first index on ties (as
 *       {@code np.argmax}).
 * </ul>
 * Features are stored raw (not standardised) as float32; labels are computed, in double precision, from the
 * stored float32 features, so every row's label is exactly the argmax for its stored features.
 *
 * <p>Split: like the reference (which shuffles each device's samples and keeps {@code int(0.9 n_k)} for
 * training), each device's first {@code floor(0.9 n_k)} rows go to {@link LoadedData#train()} and the rest
 * (at least 5) to {@link LoadedData#test()}. The rows of a device are i.i.d., so no shuffle is needed for the
 * same distribution. Both sets list devices in order and keep per-row partition keys {@code device00},
 * {@code device01}, ... (zero-padded so they sort) under the key name {@value #KEY_NAME}, so partitioning by
 * {@code device} gives the paper's natural split.
 *
 * <p>Randomness: device {@code k} draws everything from {@code rng.derive(STREAM, k)} (its parameters first,
 * then its rows), so the output depends only on the source's seed, not on what was drawn from it before, and
 * the first devices are the same whatever the device count. Stateless and thread-safe.
 */
public final class SyntheticFedProx {
  /** Features per row, as in the paper. */
  public static final int NUM_FEATURES = 60;
  /** Classes, as in the paper. */
  public static final int NUM_CLASSES = 10;
  /** Devices in the paper. */
  public static final int DEFAULT_DEVICES = 30;
  /** The least number of rows a device can have: the {@code + 50} of the reference. */
  public static final int MIN_SAMPLES = 50;
  /** The partition key name. */
  public static final String KEY_NAME = "device";
  /** Fraction of each device's rows used for training, as in the reference ({@code int(0.9 * n)}). */
  public static final double TRAIN_FRACTION = 0.9;
  /** The spec prefix {@link DatasetCatalog} resolves with {@link #resolve(String, long)}. */
  public static final String SPEC_PREFIX = "synthetic:";
  /** The spec forms, for error messages. */
  public static final String SPEC_FORM = "synthetic:ALPHA,BETA or synthetic:ALPHA,BETA,DEVICES"
      + " (e.g. synthetic:1,1 or synthetic:0.5,0.5,30; ALPHA, BETA >= 0, DEVICES >= 1, default "
      + DEFAULT_DEVICES + ")";

  private static final long STREAM = 0x5EED_FED_9A0CL;
  private static final double LOG_MEAN = 4;
  private static final double LOG_SIGMA = 2;
  private static final double COV_EXPONENT = -1.2;

  private SyntheticFedProx() {}

  /** One device's generating parameters (package-private, for tests). */
  record DeviceModel(int samples, double u, double bigB, double[][] w, double[] b, double[] v) {
    /** {@code argmax_c (W x + b)_c}, first index on ties. */
    int label(float[] x, int offset) {
      int best = 0;
      double bestScore = Double.NEGATIVE_INFINITY;
      for (int c = 0; c < w.length; c++) {
        double s = b[c];
        double[] wc = w[c];
        for (int j = 0; j < wc.length; j++) {
          s += wc[j] * x[offset + j];
        }
        if (s > bestScore) {
          bestScore = s;
          best = c;
        }
      }
      return best;
    }
  }

  /**
   * Generates Synthetic(alpha, beta) with {@code devices} devices and splits each device 90/10 into train and
   * test.
   *
   * @param alpha standard deviation of the per-device model mean {@code u_k}; >= 0 (0 in Synthetic(0,0))
   * @param beta standard deviation of the per-device feature mean {@code B_k}; >= 0
   * @param devices number of devices, >= 1 ({@value #DEFAULT_DEVICES} in the paper)
   * @param rng only its seed is used (through {@link RandomSource#derive(long...)})
   * @throws IllegalStateException if the drawn sample counts do not fit one float array (practically never)
   */
  public static LoadedData generate(double alpha, double beta, int devices, RandomSource rng) {
    Checks.checkArgument(Double.isFinite(alpha) && alpha >= 0, "alpha", "finite and >= 0", alpha);
    Checks.checkArgument(Double.isFinite(beta) && beta >= 0, "beta", "finite and >= 0", beta);
    Checks.checkPositive(devices, "devices");
    Objects.requireNonNull(rng, "rng");

    RandomSource[] streams = new RandomSource[devices];
    DeviceModel[] models = new DeviceModel[devices];
    long trainRows = 0;
    long testRows = 0;
    for (int k = 0; k < devices; k++) {
      streams[k] = rng.derive(STREAM, k);
      models[k] = model(alpha, beta, streams[k]);
      int train = trainSize(models[k].samples());
      trainRows += train;
      testRows += models[k].samples() - train;
    }
    long maxRows = Integer.MAX_VALUE / NUM_FEATURES;
    Checks.checkState(trainRows <= maxRows && testRows <= maxRows,
        "synthetic: drew " + (trainRows + testRows) + " rows, more than fit in memory; try another seed");

    float[] trainX = new float[(int) trainRows * NUM_FEATURES];
    int[] trainY = new int[(int) trainRows];
    String[] trainKeys = new String[(int) trainRows];
    float[] testX = new float[(int) testRows * NUM_FEATURES];
    int[] testY = new int[(int) testRows];
    String[] testKeys = new String[(int) testRows];
    double[] sd = new double[NUM_FEATURES];
    for (int j = 0; j < NUM_FEATURES; j++) {
      sd[j] = Math.sqrt(Math.pow(j + 1, COV_EXPONENT));
    }
    int tr = 0;
    int te = 0;
    for (int k = 0; k < devices; k++) {
      DeviceModel m = models[k];
      RandomSource r = streams[k];
      String key = key(k, devices);
      int train = trainSize(m.samples());
      for (int i = 0; i < m.samples(); i++) {
        boolean isTrain = i < train;
        float[] x = isTrain ? trainX : testX;
        int row = isTrain ? tr++ : te++;
        int off = row * NUM_FEATURES;
        for (int j = 0; j < NUM_FEATURES; j++) {
          x[off + j] = (float) (m.v()[j] + sd[j] * r.nextGaussian());
        }
        int y = m.label(x, off);
        if (isTrain) {
          trainY[row] = y;
          trainKeys[row] = key;
        } else {
          testY[row] = y;
          testKeys[row] = key;
        }
      }
    }
    String name = "synthetic(" + alpha + "," + beta + ")";
    Dataset trainSet = Dataset.builder().name(name + " (train)").features(trainX).labels(trainY)
        .numFeatures(NUM_FEATURES).numClasses(NUM_CLASSES).keys(KEY_NAME, trainKeys).build();
    Dataset testSet = Dataset.builder().name(name + " (test)").features(testX).labels(testY)
        .numFeatures(NUM_FEATURES).numClasses(NUM_CLASSES).keys(KEY_NAME, testKeys).build();
    String desc = String.format(Locale.ROOT, "%s: %d devices, %d rows, %d features, %d classes (Li et al. 2020);"
            + " per-device 90/10 split (seed %d): %d train / %d test", name, devices, trainRows + testRows,
        NUM_FEATURES, NUM_CLASSES, rng.seed(), trainRows, testRows);
    return new LoadedData(trainSet, testSet, desc);
  }

  /**
   * Resolves {@code synthetic:ALPHA,BETA} or {@code synthetic:ALPHA,BETA,DEVICES} (case-insensitive, spaces
   * allowed) with {@code RandomSource.seeded(seed)}.
   *
   * @throws IllegalArgumentException if the spec is not of that form, naming the form
   */
  public static LoadedData resolve(String spec, long seed) {
    String s = spec.trim().toLowerCase(Locale.ROOT);
    if (!s.startsWith(SPEC_PREFIX)) {
      throw badSpec(spec, "it must start with '" + SPEC_PREFIX + "'");
    }
    String[] parts = s.substring(SPEC_PREFIX.length()).split(",", -1);
    if (parts.length != 2 && parts.length != 3) {
      throw badSpec(spec, "expected 2 or 3 comma-separated values, got " + parts.length);
    }
    double alpha = parseParam(spec, "ALPHA", parts[0]);
    double beta = parseParam(spec, "BETA", parts[1]);
    int devices = DEFAULT_DEVICES;
    if (parts.length == 3) {
      try {
        devices = Integer.parseInt(parts[2].trim());
      } catch (NumberFormatException e) {
        throw badSpec(spec, "DEVICES '" + parts[2].trim() + "' is not an integer");
      }
      if (devices < 1) {
        throw badSpec(spec, "DEVICES must be >= 1, got " + devices);
      }
    }
    return generate(alpha, beta, devices, RandomSource.seeded(seed));
  }

  /** Whether {@code spec} names this dataset (starts with {@code synthetic:}, any case). */
  public static boolean matches(String spec) {
    return spec.trim().toLowerCase(Locale.ROOT).startsWith(SPEC_PREFIX);
  }

  /** Device {@code k}'s parameters, exactly as {@link #generate} draws them (package-private, for tests). */
  static DeviceModel deviceModel(double alpha, double beta, int k, RandomSource rng) {
    return model(alpha, beta, rng.derive(STREAM, k));
  }

  /** The device partition key of device {@code k} out of {@code devices}. */
  static String key(int k, int devices) {
    int width = Math.max(2, Integer.toString(devices - 1).length());
    return KEY_NAME + String.format(Locale.ROOT, "%0" + width + "d", k);
  }

  static int trainSize(int samples) {
    return (int) (TRAIN_FRACTION * samples);
  }

  /** Draws n_k, u_k, B_k, v_k, W_k, b_k in this order from {@code r}, leaving it ready for the rows. */
  private static DeviceModel model(double alpha, double beta, RandomSource r) {
    double n = Math.floor(Math.exp(LOG_MEAN + LOG_SIGMA * r.nextGaussian())) + MIN_SAMPLES;
    int samples = n >= Integer.MAX_VALUE ? Integer.MAX_VALUE : (int) n;
    double u = alpha * r.nextGaussian();
    double bigB = beta * r.nextGaussian();
    double[] v = new double[NUM_FEATURES];
    for (int j = 0; j < NUM_FEATURES; j++) {
      v[j] = bigB + r.nextGaussian();
    }
    double[][] w = new double[NUM_CLASSES][NUM_FEATURES];
    for (double[] wc : w) {
      for (int j = 0; j < NUM_FEATURES; j++) {
        wc[j] = u + r.nextGaussian();
      }
    }
    double[] b = new double[NUM_CLASSES];
    for (int c = 0; c < NUM_CLASSES; c++) {
      b[c] = u + r.nextGaussian();
    }
    return new DeviceModel(samples, u, bigB, w, b, v);
  }

  private static double parseParam(String spec, String what, String text) {
    double value;
    try {
      value = Double.parseDouble(text.trim());
    } catch (NumberFormatException e) {
      throw badSpec(spec, what + " '" + text.trim() + "' is not a number");
    }
    if (!Double.isFinite(value) || value < 0) {
      throw badSpec(spec, what + " must be finite and >= 0, got " + text.trim());
    }
    return value;
  }

  private static IllegalArgumentException badSpec(String spec, String why) {
    return new IllegalArgumentException("invalid synthetic dataset spec '" + spec + "': " + why + "; expected "
        + SPEC_FORM);
  }
}
