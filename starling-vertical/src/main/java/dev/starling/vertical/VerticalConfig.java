package dev.starling.vertical;

import dev.starling.core.error.Checks;
import dev.starling.core.error.ErrorCode;
import dev.starling.core.error.FlException;
import dev.starling.core.random.RandomSource;
import dev.starling.vertical.link.Wire;
import java.math.BigInteger;

/**
 * The training settings both parties of a vertical run follow; the label party chooses them and sends them to
 * the feature party in the protocol's hello, so the two cannot disagree.
 *
 * @param epochs passes over the training rows
 * @param batchSize rows per step
 * @param learningRate SGD step size
 * @param l2 L2 penalty on the weights (not the bias)
 * @param testFraction share of the aligned rows held out for evaluation, in [0, 1)
 * @param seed seeds the train/test split and the batch order (shared: both parties must see the same rows)
 */
public record VerticalConfig(int epochs, int batchSize, double learningRate, double l2, double testFraction, long seed) {
  public VerticalConfig {
    Checks.checkPositive(epochs, "epochs");
    Checks.checkPositive(batchSize, "batchSize");
    Checks.checkPositive(learningRate, "learningRate");
    Checks.checkNonNegative(l2, "l2");
    Checks.checkArgument(testFraction >= 0 && testFraction < 1, "testFraction", "in [0, 1)", testFraction);
  }

  /** Test rows first, then training rows, of {@code rows} aligned rows: a permutation from the seed. */
  public int[] permutation(int rows) {
    return RandomSource.seeded(seed).derive(1).permutation(rows);
  }

  /** How many of {@code rows} are test rows. */
  public int testRows(int rows) {
    return (int) Math.round(rows * testFraction);
  }

  /** The training rows' order in {@code epoch} (1-based), as indices into the training rows. */
  public int[] batchOrder(int trainRows, int epoch) {
    return RandomSource.seeded(seed).derive(2, epoch).permutation(trainRows);
  }

  /** The training rows (indices into the aligned rows). */
  public int[] trainIndex(int rows) {
    int[] p = permutation(rows);
    return java.util.Arrays.copyOfRange(p, testRows(rows), rows);
  }

  /** The test rows (indices into the aligned rows). */
  public int[] testIndex(int rows) {
    return java.util.Arrays.copyOfRange(permutation(rows), 0, testRows(rows));
  }

  /**
   * Writes the label party's aligned row count and these settings into {@code hello}, in the order
   * {@link #readHello} reads them.
   */
  public Wire.Writer writeHello(Wire.Writer hello, int rows) {
    return hello.putInt(rows).putInt(epochs).putInt(batchSize).putDouble(learningRate).putDouble(l2)
        .putDouble(testFraction).putBytes(BigInteger.valueOf(seed).toByteArray());
  }

  /**
   * The settings a label party's hello carries ({@link #writeHello}), for a feature party holding {@code rows}
   * aligned rows.
   *
   * @throws FlException FAILED_PRECONDITION when the label party has another row count
   */
  public static VerticalConfig readHello(Wire.Reader hello, int rows) {
    int labelRows = hello.getInt("rows");
    int epochs = hello.getInt("epochs");
    int batch = hello.getInt("batch size");
    double lr = hello.getDouble("learning rate");
    double l2 = hello.getDouble("l2");
    double testFraction = hello.getDouble("test fraction");
    long seed = new BigInteger(hello.getBytes("seed")).longValueExact();
    if (labelRows != rows) {
      throw new FlException(ErrorCode.FAILED_PRECONDITION, "the label party has " + labelRows + " aligned rows, this party "
          + rows + "; run PSI on the same id files first");
    }
    return new VerticalConfig(epochs, batch, lr, l2, testFraction, seed);
  }
}
