package dev.starling.vertical.lr;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.privacy.he.Paillier;
import dev.starling.vertical.ColumnBlock;
import dev.starling.vertical.EpochStats;
import dev.starling.vertical.VerticalConfig;
import dev.starling.vertical.link.PartyLink;
import dev.starling.vertical.link.Wire;
import java.math.BigInteger;
import java.security.SecureRandom;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.IntStream;

/**
 * Vertical logistic regression between a label party (labels, some columns, the bias and the Paillier key)
 * and a feature party (the other columns), on rows aligned by PSI; protocol {@code vlr/1}. The gradient of the
 * feature party is protected with Paillier (privacy's {@link Paillier}, 2048-bit keys at least), after the
 * two-party scheme of Hardy et al. 2017 ("Private federated learning on vertically partitioned data via entity
 * resolution and additively homomorphic encryption") without their coordinator. Per batch of m rows:
 * <ol>
 *   <li>feature to label: the partial logits {@code u = X_F w_F} (m floats);</li>
 *   <li>label: {@code d = sigmoid(X_L w_L + b + u) - y}, updates {@code w_L, b}, and sends {@code [[d]]} (m
 *       ciphertexts; d in fixed point with {@value #D_BITS} fractional bits);</li>
 *   <li>feature: {@code [[g + R]] = prod_i [[d_i]]^(x_ij) * [[R_j]]} for every own column j, with x in fixed
 *       point ({@value #X_BITS} bits) and R_j uniform in [0, n): one ciphertext per column;</li>
 *   <li>label decrypts {@code g + R mod n} and sends it back; feature removes R and steps
 *       {@code w_F -= lr (g / m + l2 w_F)}.</li>
 * </ol>
 * The sigmoid is exact (no Taylor approximation), so the run follows {@link LogisticRegression}'s schedule and
 * differs from it only by the fixed-point rounding of the feature party's gradient.
 *
 * <p>What each party learns. The label party: the partial logits {@code X_F w_F} of every batch row (one number
 * per row and step, the same kind of quantity a split network's cut layer shows), the feature party's column
 * count, and {@code g + R}, uniform mod n and so nothing about g. The feature party: Paillier ciphertexts
 * (nothing, under decisional composite residuosity), and its own gradient {@code X_F^T d / m}, which it needs
 * to step; with known {@code X_F} that is {@code cols} linear equations in the batch's m residuals, so batches
 * must be larger than the feature party's column count (refused otherwise), and over many steps the residuals
 * (hence the labels) stay only as hidden as that linear system leaves them. Both learn the row count.
 */
public final class VerticalLogisticRegression {
  /** The protocol name on the wire. */
  public static final String PROTOCOL = "vlr/1";
  /** Fractional bits of the encrypted residuals. */
  public static final int D_BITS = 24;
  /** Fractional bits of the feature values in the homomorphic product. */
  public static final int X_BITS = 16;
  /** Largest feature magnitude the fixed-point product accepts (standardise first). */
  public static final double MAX_ABS_FEATURE = 1 << 14;

  static final int HELLO = 1;
  static final int HELLO_FEATURE = 2;
  static final int PARTIAL = 3;
  static final int RESIDUALS = 4;
  static final int MASKED = 5;
  static final int UNMASKED = 6;
  static final int SCORE = 7;
  static final int DONE = 8;

  private VerticalLogisticRegression() {}

  /**
   * What the label party ends with.
   *
   * @param weights its own columns' weights
   * @param bias the bias
   * @param epochs cost and loss per epoch
   * @param testScores P(y = 1) of the test rows ({@link VerticalConfig#testIndex} order)
   * @param testLabels their labels
   */
  public record LabelResult(float[] weights, float bias, List<EpochStats> epochs, float[] testScores, int[] testLabels) {}

  /** The label party's half: runs {@code config} over {@code link} and returns its model and the test scores. */
  public static LabelResult label(ColumnBlock x, int[] y, VerticalConfig config, Paillier.KeyPair keys, PartyLink link,
      SecureRandom rng) {
    Checks.checkArgument(y.length == x.rows(), "labels", "one per row (" + x.rows() + ")", y.length);
    for (int r = 0; r < y.length; r++) {
      Checks.checkArgument(y[r] == 0 || y[r] == 1, "label of row " + r, "0 or 1", y[r]);
    }
    BigInteger n = keys.publicKey().n();
    link.send(config.writeHello(new Wire.Writer(PROTOCOL, HELLO), x.rows()).putBytes(n.toByteArray()).toByteArray());
    Wire.Reader hello = new Wire.Reader(link.receive(), PROTOCOL).expect(HELLO_FEATURE, "feature hello");
    int featureCols = hello.getInt("feature columns");
    hello.end();
    int[] train = config.trainIndex(x.rows());
    float[] w = new float[x.cols()];
    float bias = 0;
    double scale = Math.scalb(1.0, D_BITS);
    List<EpochStats> stats = new ArrayList<>();
    double[] d = new double[config.batchSize()];
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      long t0 = System.nanoTime();
      long s0 = link.bytesSent();
      long r0 = link.bytesReceived();
      double loss = 0;
      int[] order = config.batchOrder(train.length, epoch);
      for (int start = 0; start < order.length; start += config.batchSize()) {
        int m = Math.min(config.batchSize(), order.length - start);
        float[] u = readPartial(link, m);
        for (int i = 0; i < m; i++) {
          int r = train[order[start + i]];
          double p = LogisticRegression.sigmoid(bias + LogisticRegression.dot(w, x, r) + u[i]);
          d[i] = p - y[r];
          loss -= y[r] == 1 ? Math.log(Math.max(p, 1e-12)) : Math.log(Math.max(1 - p, 1e-12));
        }
        BigInteger[] enc = new BigInteger[m];
        IntStream.range(0, m).parallel().forEach(i ->
            enc[i] = keys.publicKey().encrypt(BigInteger.valueOf(Math.round(d[i] * scale)).mod(n), rng));
        link.send(new Wire.Writer(PROTOCOL, RESIDUALS).putBigIntegers(enc).toByteArray());
        double[] g = LogisticRegression.gradient(x, train, order, start, m, d);
        LogisticRegression.step(w, g, config, m);
        bias -= (float) (config.learningRate() * LogisticRegression.mean(d, m));
        Wire.Reader masked = new Wire.Reader(link.receive(), PROTOCOL).expect(MASKED, "masked gradient");
        BigInteger[] c = masked.getBigIntegers("masked gradient");
        masked.end();
        if (c.length != featureCols) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": masked gradient has " + c.length
              + " values for " + featureCols + " feature columns");
        }
        BigInteger[] plain = new BigInteger[c.length];
        IntStream.range(0, c.length).parallel().forEach(j -> plain[j] = keys.privateKey().decrypt(c[j]));
        link.send(new Wire.Writer(PROTOCOL, UNMASKED).putBigIntegers(plain).toByteArray());
      }
      stats.add(new EpochStats(epoch, (System.nanoTime() - t0) / 1e9, link.bytesSent() - s0,
          link.bytesReceived() - r0, loss / train.length));
    }
    int[] test = config.testIndex(x.rows());
    link.send(new Wire.Writer(PROTOCOL, SCORE).toByteArray());
    float[] u = readPartial(link, test.length);
    float[] scores = new float[test.length];
    int[] labels = new int[test.length];
    for (int i = 0; i < test.length; i++) {
      scores[i] = (float) LogisticRegression.sigmoid(bias + LogisticRegression.dot(w, x, test[i]) + u[i]);
      labels[i] = y[test[i]];
    }
    link.send(new Wire.Writer(PROTOCOL, DONE).toByteArray());
    return new LabelResult(w, bias, List.copyOf(stats), scores, labels);
  }

  private static float[] readPartial(PartyLink link, int m) {
    Wire.Reader partial = new Wire.Reader(link.receive(), PROTOCOL).expect(PARTIAL, "partial logits");
    float[] u = partial.getFloats("partial logits");
    partial.end();
    if (u.length != m) {
      throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": " + u.length + " partial logits for a batch of " + m);
    }
    for (int i = 0; i < m; i++) {
      if (!Float.isFinite(u[i])) {
        throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": partial logit " + i + " is " + u[i]);
      }
    }
    return u;
  }

  /**
   * The feature party's half: follows the label party's settings over {@code link} and returns its trained
   * weights. Refuses values beyond {@link #MAX_ABS_FEATURE} and batches no larger than its column count before
   * any training.
   */
  public static float[] feature(ColumnBlock x, PartyLink link, SecureRandom rng) {
    for (int i = 0; i < x.x().length; i++) {
      if (!(Math.abs(x.x()[i]) <= MAX_ABS_FEATURE)) {
        throw new IllegalArgumentException("feature column '" + x.names().get(i % x.cols()) + "' row " + i / x.cols()
            + " = " + x.x()[i] + " is outside +-" + MAX_ABS_FEATURE + "; standardise the columns first");
      }
    }
    Wire.Reader hello = new Wire.Reader(link.receive(), PROTOCOL).expect(HELLO, "label hello");
    VerticalConfig config = VerticalConfig.readHello(hello, x.rows());
    BigInteger n = new BigInteger(1, hello.getBytes("Paillier modulus"));
    hello.end();
    int rows = x.rows();
    int batch = config.batchSize();
    if (n.bitLength() < Paillier.MIN_BITS) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "the label party's Paillier key has " + n.bitLength()
          + " bits; at least " + Paillier.MIN_BITS + " are required");
    }
    if (batch <= x.cols()) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "batch size " + batch + " is not larger than this party's "
          + x.cols() + " columns: its gradient would reveal the batch's residuals (and so the labels)");
    }
    Paillier.PublicKey pub = new Paillier.PublicKey(n);
    link.send(new Wire.Writer(PROTOCOL, HELLO_FEATURE).putInt(x.cols()).toByteArray());
    int[] train = config.trainIndex(rows);
    float[] w = new float[x.cols()];
    long[] xFixed = new long[x.x().length];
    for (int i = 0; i < xFixed.length; i++) {
      xFixed[i] = Math.round(x.x()[i] * Math.scalb(1.0, X_BITS));
    }
    double inv = Math.scalb(1.0, -(D_BITS + X_BITS));
    BigInteger half = n.shiftRight(1);
    for (int epoch = 1; epoch <= config.epochs(); epoch++) {
      int[] order = config.batchOrder(train.length, epoch);
      for (int start = 0; start < order.length; start += batch) {
        int m = Math.min(batch, order.length - start);
        int[] rowsOfBatch = new int[m];
        float[] u = new float[m];
        for (int i = 0; i < m; i++) {
          rowsOfBatch[i] = train[order[start + i]];
          u[i] = (float) LogisticRegression.dot(w, x, rowsOfBatch[i]);
        }
        link.send(new Wire.Writer(PROTOCOL, PARTIAL).putFloats(u, m).toByteArray());
        Wire.Reader res = new Wire.Reader(link.receive(), PROTOCOL).expect(RESIDUALS, "encrypted residuals");
        BigInteger[] enc = res.getBigIntegers("encrypted residuals");
        res.end();
        if (enc.length != m) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": " + enc.length + " residuals for a batch of " + m);
        }
        BigInteger[] masks = new BigInteger[x.cols()];
        BigInteger[] masked = new BigInteger[x.cols()];
        IntStream.range(0, x.cols()).parallel().forEach(j -> {
          BigInteger pos = BigInteger.ONE;
          BigInteger neg = BigInteger.ONE;
          for (int i = 0; i < m; i++) {
            long k = xFixed[rowsOfBatch[i] * x.cols() + j];
            if (k > 0) {
              pos = pos.multiply(enc[i].modPow(BigInteger.valueOf(k), pub.nSquared())).mod(pub.nSquared());
            } else if (k < 0) {
              neg = neg.multiply(enc[i].modPow(BigInteger.valueOf(-k), pub.nSquared())).mod(pub.nSquared());
            }
          }
          BigInteger product = pos.multiply(neg.modInverse(pub.nSquared())).mod(pub.nSquared());
          BigInteger r;
          do {
            r = new BigInteger(n.bitLength(), rng);
          } while (r.compareTo(n) >= 0);
          masks[j] = r;
          masked[j] = pub.add(product, pub.encrypt(r, rng));
        });
        link.send(new Wire.Writer(PROTOCOL, MASKED).putBigIntegers(masked).toByteArray());
        Wire.Reader un = new Wire.Reader(link.receive(), PROTOCOL).expect(UNMASKED, "unmasked gradient");
        BigInteger[] plain = un.getBigIntegers("unmasked gradient");
        un.end();
        if (plain.length != x.cols()) {
          throw new FlException(ErrorCode.INVALID_ARGUMENT, PROTOCOL + ": " + plain.length + " gradient values for "
              + x.cols() + " columns");
        }
        double[] g = new double[x.cols()];
        for (int j = 0; j < g.length; j++) {
          BigInteger v = plain[j].subtract(masks[j]).mod(n);
          if (v.compareTo(half) > 0) {
            v = v.subtract(n);
          }
          g[j] = v.doubleValue() * inv;
        }
        LogisticRegression.step(w, g, config, m);
      }
    }
    Wire.Reader score = new Wire.Reader(link.receive(), PROTOCOL).expect(SCORE, "score request");
    score.end();
    int[] test = config.testIndex(rows);
    float[] u = new float[test.length];
    for (int i = 0; i < test.length; i++) {
      u[i] = (float) LogisticRegression.dot(w, x, test[i]);
    }
    link.send(new Wire.Writer(PROTOCOL, PARTIAL).putFloats(u, u.length).toByteArray());
    new Wire.Reader(link.receive(), PROTOCOL).expect(DONE, "done").end();
    return w;
  }
}
